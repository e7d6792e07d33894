// The chat list as a pure reducer, for participants and admins alike. Each item remembers the
// log position of the newest event applied to it, so a snapshot that was read before that
// event (its `X-Event-Position` is lower) cannot overwrite it with older data, and an event
// delivered twice is applied once.
//
// Unread counts are the server's: messages of the other participant after our read marker.
// They go up with new messages (except in the chat this tab is reading right now), and down
// with `read`: our own mark (at once, before the request) and `messages_read` for us from any
// tab. A read that covers the chat's last message clears the badge; after a partial one only
// the server can count what is left, so the item is flagged `unreadStale` and the list is
// fetched again (`ownReadOutcome`).
//
// Groups: a group's members change with `participant_added` and `participant_removed`, its
// title with `chat_renamed`. Participants see a group's title and member count (the list does
// not name the members); admins see its members. When we are removed from a group (or leave
// it) its item stays, marked `left` or `removed`, so the open conversation keeps its title
// and the list says what happened; it is gone the next time the list is loaded anew (a
// reload), and a refresh keeps it at the bottom.
//
// Inquiries (a guest and a teacher) are listed like direct chats, under their link's title;
// the server closes an idle one (`chat_closed`, and `closed_at` in snapshots): it is read-only
// from then on, and stays closed whatever an older snapshot says.
//
// Paging: the list is loaded a page at a time (`next_cursor`). A later page, and what a
// server search finds, are merged by chat id into what is loaded (the newer of the two by log
// position wins, as with snapshots) in order of last activity. A refresh of the first page
// keeps the chats it does not show (they are further down, on pages loaded before) and the
// cursor: the server ranks later pages as of the first page's log position, so the chain goes
// on without a gap, and what moved up since is listed already (live, or by the refresh). Only
// a full load (`replace`) starts over.

import type { AdminChat, Attachment, ChatContext, ChatKind, ChatSummary, MessageType, Person } from './api';
import type { TFunction } from 'i18next';

import { messageType } from './attachments';
import { type Removal, removalOfPreview } from './removal';

/** Whether we are still a member of a chat: `left` and `removed` after its `participant_removed` for us. */
export type Membership = 'member' | 'left' | 'removed';

export interface ChatItem {
  id: number;
  kind: ChatKind;
  /** A group's or an inquiry's title (null for a direct chat). */
  title: string | null;
  /** What the chat is about (the inbox groups chats by its title). */
  context: ChatContext | null;
  /** Who created, and so owns, a group. */
  createdBy: number | null;
  /**
   * Participants: the other participant of a direct chat (nobody for a group: its members are
   * fetched with the group). Admins: the chat's current members.
   */
  people: Person[];
  /** Current members (2 in a direct chat). */
  participantsCount: number;
  /** Participants only: the newest visible message. */
  lastMessage: LastMessage | null;
  lastActivityAt: string | null;
  unread: number;
  /** Participants only: our read marker, the newest message id we have read (0: none). */
  lastReadId: number;
  /** `unread` is known to be out of date (a partial read): the list should be fetched again. */
  unreadStale: boolean;
  /** Admins only: the number of visible messages. */
  messagesCount: number | null;
  /** Participants: whether we are still a member (a group can drop us). */
  membership: Membership;
  /** When the server closed this inquiry (read-only since); null while open. */
  closedAt: string | null;
  /** Log position of the newest event applied to this item; 0 when it only comes from a snapshot. */
  position: number;
}

export interface LastMessage {
  id: number;
  senderId: number;
  /** In a group: the sender's name, if known (the preview says "Name: text"). */
  senderName: string | null;
  /** May be empty for a file or image message (the preview then says what it carries). */
  content: string;
  createdAt: string;
  /** Absent: `text` (a server before attachments). */
  type?: MessageType;
  /** The names of its files, when known (live messages; the list's snapshot has only the type). */
  attachments?: readonly Pick<Attachment, 'name'>[] | null;
  /** A moderator hid it, or its content was purged: the line says so instead of its text. */
  removed?: Removal | null;
}

export interface ChatList {
  status: 'loading' | 'ready' | 'failed';
  error: string | null;
  items: ChatItem[];
  /** Where the next page starts (the last page's `next_cursor`); null once every chat is loaded. */
  nextCursor: string | null;
  /** The next page: on its way, or failed (with why). */
  more: { status: 'idle' } | { status: 'loading' } | { status: 'failed'; error: string };
}

export type ChatListAction =
  /**
   * The first page. `replace` trusts it (first load, after a reset); `refresh` merges it with
   * what the stream already applied and the pages loaded after it. `nextCursor`: where the
   * next page starts (none: this was all); a refresh keeps the cursor of the full load.
   */
  | { type: 'snapshot'; items: ChatItem[]; position: number; mode: 'replace' | 'refresh'; nextCursor?: string | null }
  | { type: 'loadFailed'; error: string }
  /** The page that starts at `cursor` was asked for. */
  | { type: 'pageRequested'; cursor: string }
  /** The page that starts at `cursor` (ignored if the list was loaded anew meanwhile). */
  | { type: 'pageLoaded'; cursor: string; items: ChatItem[]; position: number; nextCursor: string | null }
  | { type: 'pageFailed'; cursor: string; error: string }
  /** Chats a server search found: merged into the list like a page, the cursor untouched. */
  | { type: 'found'; items: ChatItem[]; position: number }
  /**
   * `chat_closed` at `position`; or (position null) what the server said when we sent to it
   * (a 409, then its details): the chat is read-only from `closedAt`.
   */
  | { type: 'chatClosed'; chatId: number; closedAt: string; position: number | null }
  | { type: 'chatCreated'; item: ChatItem; position: number }
  | {
      type: 'newMessage';
      chatId: number;
      message: LastMessage;
      position: number;
      me: number;
      /** The chat this tab is reading now (open, visible, scrolled to the bottom): no badge. */
      readingChatId: number | null;
    }
  /** Our own message was saved (the POST answer): show it as the latest, counters untouched. */
  | { type: 'ownMessageSaved'; chatId: number; message: LastMessage }
  /** A message's text changed: the preview follows if it is the latest. */
  | { type: 'messageEdited'; chatId: number; messageId: number; content: string }
  /** Messages hidden or purged: the preview says so if one is the latest. */
  | { type: 'messagesRemoved'; chatId: number; messageIds: readonly number[]; removal: Removal }
  /** A message unhidden: the preview shows it again if it is the latest. */
  | { type: 'messageRestored'; chatId: number; message: Pick<LastMessage, 'id' | 'content' | 'type' | 'attachments'> }
  /**
   * Our read marker moved to `upTo`: marked by this tab (position null), or `messages_read`
   * for us at `position` (from any of our tabs).
   */
  | { type: 'read'; chatId: number; upTo: number; position: number | null }
  /** `participant_added`: `user` joined the group (`me`: we did, and the list is fetched again). */
  | { type: 'participantAdded'; chatId: number; user: Person; position: number; me: number }
  /** `participant_removed`: `userId` left (`actorId` is them) or was removed. */
  | { type: 'participantRemoved'; chatId: number; userId: number; actorId: number | null; position: number; me: number }
  | { type: 'chatRenamed'; chatId: number; title: string; position: number };

export const initialChatList: ChatList = {
  status: 'loading',
  error: null,
  items: [],
  nextCursor: null,
  more: { status: 'idle' },
};

/** The header fields of a chat view (a server before groups sent none: a direct chat). */
function header(
  chat: Partial<Pick<ChatSummary, 'kind' | 'title' | 'context' | 'created_by' | 'participants_count' | 'closed_at'>>,
) {
  const kind = chat.kind ?? 'direct';
  return {
    kind,
    title: chat.title ?? null,
    context: chat.context ?? null,
    createdBy: chat.created_by ?? null,
    participantsCount: chat.participants_count ?? (kind === 'group' ? 0 : 2),
    closedAt: chat.closed_at ?? null,
  };
}

export function fromSummary(chat: ChatSummary, position = 0): ChatItem {
  const other = chat.participant;
  return {
    id: chat.id,
    ...header(chat),
    // Presence is kept apart (presence.ts).
    people: other ? [{ id: other.id, name: other.name, role: other.role }] : [],
    lastMessage: chat.last_message
      ? {
          id: chat.last_message.id,
          senderId: chat.last_message.sender_id,
          senderName: chat.last_message.sender_name ?? null,
          content: chat.last_message.content,
          createdAt: chat.last_message.created_at,
          type: messageType(chat.last_message.type, []),
          removed: removalOfPreview(chat.last_message.removed),
        }
      : null,
    lastActivityAt: chat.updated_at ?? chat.last_message?.created_at ?? null,
    unread: chat.unread_count,
    lastReadId: chat.last_read_message_id ?? 0,
    unreadStale: false,
    messagesCount: null,
    membership: 'member',
    position,
  };
}

export function fromAdminChat(chat: AdminChat, position = 0): ChatItem {
  return {
    id: chat.id,
    ...header(chat),
    people: chat.participants,
    lastMessage: null,
    lastActivityAt: chat.last_message_at ?? chat.updated_at ?? null,
    unread: 0,
    lastReadId: 0,
    unreadStale: false,
    messagesCount: chat.messages_count,
    membership: 'member',
    position,
  };
}

/** The people's names: the other participant's (both for admins). */
export function peopleNames(item: Pick<ChatItem, 'people'>): string {
  return item.people.map((p) => p.name).join(' · ');
}

/**
 * What a chat is called: a group's or an inquiry's title; the other participant's name (both
 * names for admins) for a direct chat (and an inquiry without a title); null without either.
 */
export function chatName(item: Pick<ChatItem, 'kind' | 'title' | 'people'>): string | null {
  if ((item.kind === 'group' || item.kind === 'inquiry') && item.title) return item.title;
  return peopleNames(item) || null;
}

/** A chat's title as shown: its name, else "Chat 12" in the words of `t`. */
export function chatTitle(item: ChatItem, t: TFunction): string {
  return chatName(item) ?? t('chatList.fallbackTitle', { id: item.id });
}

/** Whether a chat is read-only because the server closed it (an idle inquiry). */
export function isClosed(item: Pick<ChatItem, 'closedAt'> | null | undefined): boolean {
  return item?.closedAt != null;
}

/** Whether `me` may rename a group and add and remove its members: its owner or an admin. */
export function canManage(item: Pick<ChatItem, 'kind' | 'createdBy'>, me: Person): boolean {
  return item.kind === 'group' && (me.role === 'admin' || item.createdBy === me.id);
}

/** What reading up to `upTo` (ours, from any tab) does to a chat's badge. */
export function ownReadOutcome(item: ChatItem, upTo: number): 'cleared' | 'unchanged' | 'refetch' {
  if (item.unread === 0 || upTo <= item.lastReadId) return 'unchanged'; // nothing new to learn
  if (upTo >= (item.lastMessage?.id ?? 0)) return 'cleared';
  return 'refetch'; // some are read, some are not: only the server can count them
}

/** The sum of the unread badges of the chats listed (the title's total is the server's: unread.ts). */
export function unreadTotal(state: Pick<ChatList, 'items'>): number {
  return state.items.reduce((sum, item) => sum + item.unread, 0);
}

/** The tab's title: "(3) Tutorchat" while something is unread. */
export function documentTitle(unread: number, base: string): string {
  return unread > 0 ? `(${unread}) ${base}` : base;
}

function toTop(items: ChatItem[], item: ChatItem): ChatItem[] {
  return [item, ...items.filter((i) => i.id !== item.id)];
}

function withRead(item: ChatItem, upTo: number): ChatItem {
  const outcome = ownReadOutcome(item, upTo);
  if (outcome === 'unchanged' && upTo <= item.lastReadId) return item;
  return {
    ...item,
    lastReadId: Math.max(item.lastReadId, upTo),
    unread: outcome === 'cleared' ? 0 : item.unread,
    unreadStale: item.unreadStale || outcome === 'refetch',
  };
}

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
  return item;
}

function mergeSnapshot(local: ChatItem[], snapshot: ChatItem[], position: number): ChatItem[] {
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

/** `item` after `action` (a membership or title event of its chat), or `item` itself if it changes nothing. */
function withGroupEvent(
  item: ChatItem,
  action: Extract<ChatListAction, { type: 'participantAdded' | 'participantRemoved' | 'chatRenamed' }>,
): ChatItem {
  const admin = item.messagesCount !== null;
  switch (action.type) {
    case 'participantAdded': {
      const { user } = action;
      if (admin && item.people.some((p) => p.id === user.id)) return { ...item, position: action.position };
      return {
        ...item,
        people: admin ? [...item.people, user] : item.people,
        participantsCount: item.participantsCount + 1,
        membership: user.id === action.me ? 'member' : item.membership,
        position: action.position,
      };
    }
    case 'participantRemoved': {
      const people = admin ? item.people.filter((p) => p.id !== action.userId) : item.people;
      if (admin && people.length === item.people.length) return { ...item, position: action.position };
      const updated = {
        ...item,
        people,
        participantsCount: Math.max(0, item.participantsCount - 1),
        position: action.position,
      };
      if (admin || action.userId !== action.me) return updated;
      // Us: nothing more of this chat reaches us, and nothing in it is ours to read.
      const membership = action.actorId === action.me ? 'left' : 'removed';
      return { ...updated, membership, unread: 0, unreadStale: false };
    }
    case 'chatRenamed':
      return { ...item, title: action.title, position: action.position };
  }
}

export function chatListReducer(state: ChatList, action: ChatListAction): ChatList {
  switch (action.type) {
    case 'snapshot': {
      // What the snapshot shows includes every event up to its position: those must not count twice.
      const fresh = action.items.map((i) => ({ ...i, position: Math.max(i.position, action.position) }));
      const cursor = action.nextCursor ?? null;
      if (action.mode === 'replace' || state.status !== 'ready') {
        return { status: 'ready', error: null, items: fresh, nextCursor: cursor, more: { status: 'idle' } };
      }
      const items = mergeSnapshot(state.items, fresh, action.position);
      return { ...state, status: 'ready', error: null, items };
    }
    case 'loadFailed':
      return { ...state, status: 'failed', error: action.error };
    case 'pageRequested':
      if (action.cursor !== state.nextCursor) return state;
      return { ...state, more: { status: 'loading' } };
    case 'pageLoaded':
      // The list was loaded anew meanwhile (its pages start elsewhere), or this page was merged already.
      if (action.cursor !== state.nextCursor) return state;
      return {
        ...state,
        items: mergeFound(state.items, action.items, action.position),
        nextCursor: action.nextCursor,
        more: { status: 'idle' },
      };
    case 'pageFailed':
      if (action.cursor !== state.nextCursor) return state;
      return { ...state, more: { status: 'failed', error: action.error } };
    case 'found':
      if (state.status !== 'ready' || action.items.length === 0) return state;
      return { ...state, items: mergeFound(state.items, action.items, action.position) };
    case 'chatClosed': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item) return state; // a snapshot will show it
      if (action.position === null) {
        if (item.closedAt !== null) return state;
        const updated = { ...item, closedAt: action.closedAt };
        return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
      }
      if (item.position >= action.position) return state;
      const updated = { ...item, closedAt: item.closedAt ?? action.closedAt, position: action.position };
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case 'chatCreated':
      if (state.items.some((i) => i.id === action.item.id)) return state;
      return { ...state, items: [{ ...action.item, position: action.position }, ...state.items] };
    case 'newMessage': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item || item.position >= action.position) return state;
      const { message } = action;
      const fromOther = message.senderId !== action.me;
      const counts = item.messagesCount === null;
      const updated: ChatItem = {
        ...item,
        lastMessage: counts ? message : null,
        lastActivityAt: message.createdAt,
        unread: counts && fromOther && action.chatId !== action.readingChatId ? item.unread + 1 : item.unread,
        messagesCount: item.messagesCount === null ? null : item.messagesCount + 1,
        position: action.position,
      };
      return { ...state, items: toTop(state.items, updated) };
    }
    case 'ownMessageSaved': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item) return state;
      // The stream may already have shown this message (its echo) or a newer one (someone
      // answered at once).
      if (item.lastMessage && item.lastMessage.id >= action.message.id) return state;
      if (item.lastActivityAt !== null && Date.parse(item.lastActivityAt) > Date.parse(action.message.createdAt)) {
        return state;
      }
      const updated: ChatItem = { ...item, lastMessage: action.message, lastActivityAt: action.message.createdAt };
      return { ...state, items: toTop(state.items, updated) };
    }
    case 'messageEdited': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item?.lastMessage || item.lastMessage.id !== action.messageId) return state;
      if (item.lastMessage.content === action.content) return state;
      const updated = { ...item, lastMessage: { ...item.lastMessage, content: action.content } };
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case 'messagesRemoved': {
      const item = state.items.find((i) => i.id === action.chatId);
      const last = item?.lastMessage;
      if (!item || !last || !action.messageIds.includes(last.id)) return state;
      if (last.removed?.kind === 'purged') return state; // for good
      if (last.removed?.kind === action.removal.kind && action.removal.kind === 'hidden') return state;
      const lastMessage: LastMessage = { ...last, content: '', type: 'text', attachments: [], removed: action.removal };
      return { ...state, items: state.items.map((i) => (i === item ? { ...item, lastMessage } : i)) };
    }
    case 'messageRestored': {
      const item = state.items.find((i) => i.id === action.chatId);
      const last = item?.lastMessage;
      if (!item || !last || last.id !== action.message.id || last.removed?.kind !== 'hidden') return state;
      const lastMessage: LastMessage = { ...last, ...action.message, removed: null };
      return { ...state, items: state.items.map((i) => (i === item ? { ...item, lastMessage } : i)) };
    }
    case 'read': {
      const item = state.items.find((i) => i.id === action.chatId);
      // A snapshot read after this event already shows it.
      if (!item || (action.position !== null && item.position >= action.position)) return state;
      const read = withRead(item, action.upTo);
      const updated = action.position === null ? read : { ...read, position: action.position };
      return updated === item ? state : { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case 'participantAdded':
    case 'participantRemoved':
    case 'chatRenamed': {
      const item = state.items.find((i) => i.id === action.chatId);
      // Not listed yet (a snapshot will show it), or a snapshot read after this event already does.
      if (!item || item.position >= action.position) return state;
      const updated = withGroupEvent(item, action);
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
  }
}

export function hasChat(state: ChatList, chatId: number): boolean {
  return state.items.some((i) => i.id === chatId);
}

/** Whether some unread count is out of date and the list should be fetched again. */
export function needsRefetch(state: ChatList): boolean {
  return state.items.some((i) => i.unreadStale);
}
