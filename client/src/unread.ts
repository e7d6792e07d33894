// The total unread count of the page title, as the server counts it (`GET /api/unread-count`:
// over every chat of ours, also those of list pages not loaded), as pure functions: which
// stream events may change it, how long to wait before asking again (a burst of events asks
// once), which answer to keep (the newest request's, whatever order answers arrive in), and
// what the title shows for each role.
//
// Admins have no unread counts (they read without a read marker; the server refuses them the
// request), and a guest's one chat is the whole of their list, so only students and teachers ask.

import type { Role } from './api';
import { unreadTotal } from './chats/items';
import type { ChatList } from './chats/model';
import type { StreamEvent } from './stream/events';

/** Quiet time after the last change before asking (a burst of events asks once). */
export const UNREAD_DEBOUNCE_MS = 300;
/** The longest a change waits to be asked about while changes keep coming. */
export const UNREAD_MAX_WAIT_MS = 2_000;

/**
 * Whether `event` may change our total: a message from someone else (unless in the chat being
 * read: our read follows, and its `messages_read` asks), our own read (from any tab), a
 * deletion, a hide, an unhide or a purge (hidden and purged messages are not unread), a new chat (an inquiry opens with its visitor's question), our joining or leaving a
 * group, a reset of the stream.
 */
export function changesUnread(event: StreamEvent, me: number, readingChatId: number | null): boolean {
  switch (event.type) {
    case 'new_message':
      return event.message.sender_id !== me && event.chatId !== readingChatId;
    case 'messages_read':
      return event.userId === me;
    case 'participant_added':
      return event.user.id === me;
    case 'participant_removed':
      return event.userId === me;
    case 'message_deleted':
    case 'message_hidden':
    case 'message_unhidden':
    case 'messages_purged':
    case 'chat_created':
    case 'reset':
      return true;
    default:
      return false;
  }
}

/**
 * How long to wait before asking, now, given when the first change not asked about yet came:
 * the debounce, but never past the longest wait.
 */
export function refreshDelay(firstChangeAt: number, now: number): number {
  return Math.max(0, Math.min(UNREAD_DEBOUNCE_MS, firstChangeAt + UNREAD_MAX_WAIT_MS - now));
}

/** The count shown, and the request it came from (requests are numbered from 1 as they are sent). */
export interface UnreadTotal {
  count: number | null;
  request: number;
}

export const noUnreadTotal: UnreadTotal = { count: null, request: 0 };

/** An answer to request number `request`: kept unless a later request's answer is already shown. */
export function unreadAnswered(state: UnreadTotal, request: number, count: number): UnreadTotal {
  if (request <= state.request || !Number.isSafeInteger(count) || count < 0) return state;
  return { count, request };
}

/** What the title counts: the server's total (none until it answered), a guest's one chat, nothing for admins. */
export function titleUnread(role: Role, server: number | null, list: Pick<ChatList, 'items'>): number {
  if (role === 'admin') return 0;
  if (role === 'guest') return unreadTotal(list);
  return server ?? 0;
}
