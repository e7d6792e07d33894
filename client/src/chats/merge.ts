// Merging what the server says of chats into what the list shows, by chat id: a snapshot of
// the first page (`mergeSnapshot`), a later page or search results (`mergeFound`). An item the
// stream has updated since the snapshot was read (a higher log position) keeps its newer
// state; a read this tab made, and a closing, are never undone by an older answer.

import type { ChatItem } from './model';

/**
 * What the server says of a chat (`fresh`, read at its snapshot's position) given what this
 * tab shows of it (`mine`, if anything): the snapshot's, unless the stream has brought newer.
 */
function merged(mine: ChatItem | undefined, fresh: ChatItem, position: number): ChatItem {
  if (!mine) return fresh;
  // The stream has updated it since the snapshot was read: it keeps its newer state (and the
  // refetch is over for it too: it is not repeated until a new partial read).
  if (mine.position > position) return mine.unreadStale ? { ...mine, unreadStale: false } : mine;
  let item = fresh;
  // This tab has read further than the snapshot knows (its request is on its way).
  if (mine.lastReadId > fresh.lastReadId) {
    item = { ...item, lastReadId: mine.lastReadId, unread: Math.min(mine.unread, fresh.unread) };
  }
  // Closed is for good: a snapshot read before it (a late page) does not reopen it.
  if (mine.closedAt !== null && item.closedAt === null) item = { ...item, closedAt: mine.closedAt };
  if (mine.closedReason !== undefined) item = { ...item, closedReason: mine.closedReason };
  return item;
}

export function mergeSnapshot(local: ChatItem[], snapshot: ChatItem[], position: number): ChatItem[] {
  const localById = new Map(local.map((i) => [i.id, i]));
  // Items the stream has updated since the snapshot was read keep their newer state and place.
  const newer = local.filter((i) => i.position > position).map((i) => merged(i, i, position));
  const newerIds = new Set(newer.map((i) => i.id));
  const rest = snapshot.filter((i) => !newerIds.has(i.id)).map((i) => merged(localById.get(i.id), i, position));
  // The chats the first page no longer shows: those of later pages (further down), and the
  // groups we were dropped from (no longer listed by the server: they stay, at the bottom).
  const listed = new Set([...newerIds, ...rest.map((i) => i.id)]);
  const beyond = local.filter((i) => !listed.has(i.id));
  return [...newer, ...rest, ...beyond.filter((i) => i.membership === 'member'), ...beyond.filter((i) => i.membership !== 'member')];
}

/** Activity order: the most recent first (ties: the higher id, as the server orders them). */
function moreRecent(a: ChatItem, b: ChatItem): boolean {
  const at = a.lastActivityAt === null ? -Infinity : Date.parse(a.lastActivityAt);
  const bt = b.lastActivityAt === null ? -Infinity : Date.parse(b.lastActivityAt);
  return at !== bt ? at > bt : a.id > b.id;
}

/**
 * `items` with `found` (a later page, or search results read at `position`) merged in: a chat
 * already listed stays where it is (with the newer state of the two), a new one goes before
 * the first listed chat it is more recent than (groups that dropped us stay at the bottom).
 */
export function mergeFound(items: readonly ChatItem[], found: readonly ChatItem[], position: number): ChatItem[] {
  const result = [...items];
  for (const raw of found) {
    const fresh = { ...raw, position: Math.max(raw.position, position) };
    const at = result.findIndex((i) => i.id === fresh.id);
    if (at >= 0) {
      result[at] = merged(result[at], fresh, position);
      continue;
    }
    const before = result.findIndex((i) => i.membership !== 'member' || moreRecent(fresh, i));
    if (before < 0) result.push(fresh);
    else result.splice(before, 0, fresh);
  }
  return result;
}
