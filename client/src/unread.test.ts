import { describe, expect, it } from 'vitest';

import { fromSummary } from './chats/items';
import type { ChatItem } from './chats/model';
import type { StreamEvent } from './stream/events';
import {
  UNREAD_DEBOUNCE_MS,
  UNREAD_MAX_WAIT_MS,
  changesUnread,
  noUnreadTotal,
  refreshDelay,
  titleUnread,
  unreadAnswered,
} from './unread';

const ME = 1;
const OTHER = 2;
const CHAT = 10;

const message = (senderId: number, chatId = CHAT): StreamEvent => ({
  type: 'new_message',
  position: 5,
  chatId,
  message: { id: 50, sender_id: senderId, content: 'Привет', created_at: '2025-01-17T15:00:00Z' },
});

const read = (userId: number): StreamEvent => ({
  type: 'messages_read',
  position: 6,
  chatId: CHAT,
  userId,
  upTo: 50,
  readAt: '2025-01-17T15:01:00Z',
});

describe('which events may change the total', () => {
  it('a message from someone else, unless in the chat being read (our read follows)', () => {
    expect(changesUnread(message(OTHER), ME, null)).toBe(true);
    expect(changesUnread(message(OTHER), ME, 99)).toBe(true);
    expect(changesUnread(message(OTHER), ME, CHAT)).toBe(false);
    expect(changesUnread(message(ME), ME, null)).toBe(false);
  });

  it('our own read (from any tab), not the reads of others', () => {
    expect(changesUnread(read(ME), ME, null)).toBe(true);
    expect(changesUnread(read(OTHER), ME, null)).toBe(false);
  });

  it('a deletion, a hide or a purge, a new chat, our joining or leaving a group, a reset', () => {
    expect(changesUnread({ type: 'message_deleted', position: 7, chatId: CHAT, messageId: 50 }, ME, null)).toBe(true);
    const hidden = { hidden_at: '2026-11-29T10:00:00Z', hidden_by: null, reason: null };
    expect(changesUnread({ type: 'message_hidden', position: 8, chatId: CHAT, messageId: 50, hidden }, ME, null)).toBe(true);
    const purged = { purged_at: '2026-11-29T10:00:00Z', cause: 'retention' as const };
    expect(changesUnread({ type: 'messages_purged', position: 9, chatId: CHAT, messageIds: [50], purged }, ME, null)).toBe(
      true,
    );
    expect(changesUnread({ type: 'reset', position: 0, reason: 'log restarted' }, ME, null)).toBe(true);
    const person = (id: number) => ({ id, name: 'Мария', role: 'student' as const });
    const added = (id: number): StreamEvent => ({ type: 'participant_added', position: 8, chatId: 20, user: person(id), actorId: 3 });
    const removed = (id: number): StreamEvent => ({ type: 'participant_removed', position: 9, chatId: 20, userId: id, actorId: 3 });
    expect(changesUnread(added(ME), ME, null)).toBe(true);
    expect(changesUnread(added(OTHER), ME, null)).toBe(false);
    expect(changesUnread(removed(ME), ME, null)).toBe(true);
    expect(changesUnread(removed(OTHER), ME, null)).toBe(false);
  });

  it('never an edit, a rename, a closing, typing or presence', () => {
    const events: StreamEvent[] = [
      { type: 'message_edited', position: 10, chatId: CHAT, message: { id: 50, sender_id: OTHER, content: 'x', created_at: '2025-01-17T15:00:00Z' } },
      { type: 'chat_renamed', position: 11, chatId: 20, title: 'Алгебра', actorId: 3 },
      { type: 'chat_closed', position: 12, chatId: 30, closedAt: '2025-01-17T16:00:00Z', reason: 'idle' },
      { type: 'typing', chatId: CHAT, userId: OTHER, isTyping: true },
      { type: 'presence', userId: OTHER, online: true, lastSeen: null },
    ];
    for (const event of events) expect(changesUnread(event, ME, null), event.type).toBe(false);
  });
});

describe('when to ask', () => {
  it('waits for a quiet moment after the last change', () => {
    expect(refreshDelay(1_000, 1_000)).toBe(UNREAD_DEBOUNCE_MS);
    expect(refreshDelay(1_000, 1_200)).toBe(UNREAD_DEBOUNCE_MS);
  });

  it('but never longer than the longest wait while changes keep coming', () => {
    expect(refreshDelay(1_000, 1_000 + UNREAD_MAX_WAIT_MS - 100)).toBe(100);
    expect(refreshDelay(1_000, 1_000 + UNREAD_MAX_WAIT_MS)).toBe(0);
    expect(refreshDelay(1_000, 1_000 + UNREAD_MAX_WAIT_MS + 500)).toBe(0);
  });
});

describe('which answer is shown', () => {
  it('none before the first answer', () => {
    expect(noUnreadTotal.count).toBeNull();
  });

  it("the newest request's, whatever order the answers arrive in", () => {
    const first = unreadAnswered(noUnreadTotal, 1, 3);
    expect(first).toEqual({ count: 3, request: 1 });
    const newer = unreadAnswered(first, 3, 0);
    expect(newer).toEqual({ count: 0, request: 3 });
    expect(unreadAnswered(newer, 2, 5)).toBe(newer); // request 2 answered late: out of date
    expect(unreadAnswered(newer, 3, 5)).toBe(newer);
  });

  it('ignores an answer that is not a count', () => {
    expect(unreadAnswered(noUnreadTotal, 1, -1)).toBe(noUnreadTotal);
    expect(unreadAnswered(noUnreadTotal, 1, 1.5)).toBe(noUnreadTotal);
  });
});

describe("the title's count", () => {
  const chat = (id: number, unread: number): ChatItem =>
    fromSummary({
      id,
      kind: 'direct',
      title: null,
      context: null,
      subjects: [],
      children: [],
      created_by: null,
      updated_at: '2025-01-17T15:00:00Z',
      participants_count: 2,
      guardians_read: false,
      announcement: false,
      teacher_departed: false,
      audience: null,
      recipients: null,
      closed_at: null,
      ward: null,
      ward_only: false,
      participant: { id: OTHER, name: 'Иван Петров', role: 'teacher', online: false, last_seen: null },
      last_message: null,
      unread_count: unread,
      last_read_message_id: 0,
      muted: false,
      participant_departed: false,
      archived: false,
    });
  const list = { items: [chat(10, 2), chat(11, 1)] };

  it("is the server's for students and teachers, not the sum of the chats loaded", () => {
    expect(titleUnread('student', 42, list)).toBe(42);
    expect(titleUnread('teacher', 0, list)).toBe(0);
    expect(titleUnread('student', null, list)).toBe(0); // not answered yet
  });

  it("is a guest's one chat (the server does not count for guests), and nothing for admins", () => {
    expect(titleUnread('guest', null, { items: [chat(30, 4)] })).toBe(4);
    expect(titleUnread('admin', null, list)).toBe(0);
  });
});
