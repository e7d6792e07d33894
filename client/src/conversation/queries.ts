// What the screen asks of a conversation, as pure functions of its state: the cursor for
// older pages, a quote as it is now, read receipts (✓✓ and where our marker goes), and the
// rows shown (messages with a group's system lines between them).

import type { Conversation, Message, Notice, ReplyRef } from './model';
import { quoteWithKnown } from './quotes';

/** The id to ask for older messages with (`before_id`), or null when there is nothing older. */
export function olderCursor(state: Conversation): number | null {
  if (!state.hasMore || state.messages.length === 0) return null;
  return state.messages[0]!.id;
}

/** A quote as it is now: `quote` with the edits and deletions this conversation has seen. */
export function currentQuote(state: Conversation, quote: ReplyRef): ReplyRef {
  return quoteWithKnown(quote, state.deleted, state.edits, state.moderated);
}

/**
 * The side a message is shown on: ours (`mine`: on the right, in the accent) exactly when the
 * person signed in wrote it. A reader (an admin, a guardian) wrote nothing in the chats they
 * read: every message there is someone else's, named above it (a guardian once saw the
 * teacher's messages styled as her own).
 */
export function bubbleSide(senderId: number, me: number): 'mine' | 'theirs' {
  return senderId === me ? 'mine' : 'theirs';
}

/** Whether someone other than its sender has read `message` (✓✓). */
export function isReadByOthers(state: Conversation, message: Message): boolean {
  if (message.readBy.some((user) => user !== message.senderId)) return true;
  return Object.entries(state.readMarks).some(([user, upTo]) => Number(user) !== message.senderId && upTo >= message.id);
}

/**
 * The id to move `me`'s read marker to, or null when there is nothing to mark: the newest saved
 * message, if some message of someone else after `marker` is loaded. (Our own messages after
 * the marker do not count as unread, so they are not worth a request by themselves.)
 */
export function readTarget(state: Conversation, me: number, marker: number): number | null {
  if (state.status !== 'ready' || state.hasNewer) return null; // a window in the past is not read
  const newest = state.messages[state.messages.length - 1];
  if (!newest || newest.id <= marker) return null;
  return state.messages.some((m) => m.id > marker && m.senderId !== me) ? newest.id : null;
}

/** One row of a conversation: a saved message, or a group's system line. */
export type Row = { message: Message } | { notice: Notice };

/**
 * The saved messages and the system lines in the order shown: each line before the first
 * message newer than its anchor (so a line stays in place when its anchor is deleted), the
 * rest after the last message.
 */
export function withNotices(messages: readonly Message[], notices: readonly Notice[]): Row[] {
  const rows: Row[] = [];
  let next = 0;
  for (const message of messages) {
    while (next < notices.length && (notices[next]!.afterId ?? Infinity) < message.id) {
      rows.push({ notice: notices[next++]! });
    }
    rows.push({ message });
  }
  while (next < notices.length) rows.push({ notice: notices[next++]! });
  return rows;
}
