import { describe, expect, it } from 'vitest';

import type { AdminChat } from '../api';
import { i18n } from '../i18n';
import { lastLineText } from '../moderation/removal';
import { needsRefetch } from './chatList';
import {
  ME,
  alex,
  en,
  item,
  ivan,
  message,
  order,
  read,
  run,
  snapshot,
  summary,
  twoChats,
} from './chatListFixtures';
import { chatTitle, documentTitle, fromAdminChat, fromSummary, ownReadOutcome, unreadTotal } from './items';
import type { ChatItem, ChatListAction } from './model';

describe('chat list', () => {
  it("loads a snapshot with the server's unread counts and our read markers", () => {
    const state = run([snapshot([fromSummary(summary(10, 2)), fromSummary(summary(11, 4, null, 37))], 100)]);
    expect(state.status).toBe('ready');
    expect(order(state)).toEqual([10, 11]);
    expect(item(state, 10)).toMatchObject({ unread: 2, lastReadId: 0 });
    expect(item(state, 11)).toMatchObject({ unread: 4, lastReadId: 37 });
  });

  it('moves a chat with a new message to the top and bumps its badge', () => {
    const state = run([message(11, 101, alex.id)], twoChats());
    expect(order(state)).toEqual([11, 10]);
    expect(item(state, 11)).toMatchObject({ unread: 1, lastMessage: { content: 'at 101' }, position: 101 });
  });

  it('does not bump the badge of the chat being read, nor for our own messages', () => {
    const reading = run([message(11, 101, alex.id, 11)], twoChats());
    expect(item(reading, 11).unread).toBe(0);
    const own = run([message(10, 102, ME)], twoChats());
    expect(item(own, 10).unread).toBe(2);
    expect(order(own)).toEqual([10, 11]);
  });

  it('does not count again an event the snapshot already includes', () => {
    // The snapshot was read at position 100; the stream delivers event 100 afterwards.
    const state = run([message(11, 100, alex.id), message(11, 101, alex.id)], twoChats());
    expect(item(state, 11).unread).toBe(1);
  });

  it('applies an event delivered twice once', () => {
    const state = run([message(11, 101, alex.id), message(11, 101, alex.id)], twoChats());
    expect(item(state, 11).unread).toBe(1);
  });

  it('clears the badge when we read up to the last message, and moves the marker forward only', () => {
    const state = run([read(10, 100)], twoChats());
    expect(item(state, 10)).toMatchObject({ unread: 0, lastReadId: 100 });
    const back = run([read(10, 40)], state);
    expect(item(back, 10)).toMatchObject({ unread: 0, lastReadId: 100 });
  });

  it('keeps the count of a partial read but moves the marker and asks for the exact count', () => {
    const state = run([read(10, 95)], twoChats());
    expect(item(state, 10)).toMatchObject({ unread: 2, lastReadId: 95, unreadStale: true });
    expect(needsRefetch(state)).toBe(true);
    expect(needsRefetch(twoChats())).toBe(false);
  });

  it("applies messages_read for us once, and not when a snapshot read after it shows it", () => {
    const live = run([read(10, 100, 101)], twoChats());
    expect(item(live, 10)).toMatchObject({ unread: 0, lastReadId: 100, position: 101 });
    // The snapshot was read at 100: event 100 is in it already, so its read is not applied again.
    const old = run([message(10, 101), read(10, 1010, 100)], twoChats());
    expect(item(old, 10)).toMatchObject({ unread: 3, lastReadId: 0 });
  });

  it('clears the badge in every tab: messages_read from another tab of ours', () => {
    // This tab did not read; another tab did, up to the last message (1010).
    const other = run([message(10, 101), read(10, 1010, 102)], twoChats());
    expect(item(other, 10)).toMatchObject({ unread: 0, lastReadId: 1010 });
  });

  it('decides between clearing, refetching and nothing for messages_read of ours', () => {
    const chat = item(twoChats(), 10); // 2 unread, last message 100
    expect(ownReadOutcome(chat, 100)).toBe('cleared');
    expect(ownReadOutcome(chat, 150)).toBe('cleared');
    expect(ownReadOutcome(chat, 99)).toBe('refetch');
    expect(ownReadOutcome(item(twoChats(), 11), 5)).toBe('unchanged'); // nothing unread
    // Our own earlier read, echoed after a new message arrived: nothing new, no refetch.
    const after = run([read(10, 100), message(10, 101)], twoChats());
    expect(ownReadOutcome(item(after, 10), 100)).toBe('unchanged');
    expect(run([read(10, 100, 102)], after)).toMatchObject({ items: [{ id: 10, unread: 1, unreadStale: false }, { id: 11 }] });
  });

  it('counts the unread total for the title', () => {
    expect(unreadTotal(twoChats())).toBe(2);
    const more = run([message(11, 101, alex.id), message(11, 102, alex.id)], twoChats());
    expect(unreadTotal(more)).toBe(4);
    expect(unreadTotal(run([read(10, 100), read(11, 1020)], more))).toBe(0);
    expect(documentTitle(4, 'Tutorchat')).toBe('(4) Tutorchat');
    expect(documentTitle(0, 'Tutorchat')).toBe('Tutorchat');
  });

  it('follows an edit of the last message in the preview', () => {
    const state = run([{ type: 'messageEdited', chatId: 10, messageId: 100, content: 'fixed' }], twoChats());
    expect(item(state, 10).lastMessage?.content).toBe('fixed');
    const older = run([{ type: 'messageEdited', chatId: 10, messageId: 99, content: 'older' }], twoChats());
    expect(item(older, 10).lastMessage?.content).toBe('last of 10');
  });

  it('says in the last line that the last message was hidden or purged, and shows it again once unhidden', () => {
    const hidden = run([{ type: 'messagesRemoved', chatId: 10, messageIds: [100], removal: { kind: 'hidden' } }], twoChats());
    expect(item(hidden, 10).lastMessage).toMatchObject({ id: 100, content: '', removed: { kind: 'hidden' } });
    expect(lastLineText(item(hidden, 10).lastMessage!, en)).toBe('hidden by a moderator');
    // Another message of the chat: the last line stays.
    const other = run([{ type: 'messagesRemoved', chatId: 10, messageIds: [99], removal: { kind: 'hidden' } }], twoChats());
    expect(lastLineText(item(other, 10).lastMessage!, en)).toBe('last of 10');
    const back = run([{ type: 'messageRestored', chatId: 10, message: { id: 100, content: 'back', type: 'text' } }], hidden);
    expect(lastLineText(item(back, 10).lastMessage!, en)).toBe('back');
    const purged = run(
      [{ type: 'messagesRemoved', chatId: 10, messageIds: [5, 100], removal: { kind: 'purged', cause: 'retention' } }],
      hidden,
    );
    expect(lastLineText(item(purged, 10).lastMessage!, en)).toBe('message removed (retention period)');
    // Purged is for good: an unhide does not bring it back.
    const still = run([{ type: 'messageRestored', chatId: 10, message: { id: 100, content: 'back', type: 'text' } }], purged);
    expect(item(still, 10).lastMessage?.content).toBe('');
  });

  it('reads a hidden last message from the list', () => {
    const chat = summary(10, 0, '2025-01-17T16:00:00Z');
    const hiddenLast = { ...chat, last_message: { ...chat.last_message!, content: '', removed: 'hidden' as const } };
    expect(lastLineText(fromSummary(hiddenLast).lastMessage!, en)).toBe('hidden by a moderator');
    expect(fromSummary(chat).lastMessage?.removed ?? null).toBeNull();
  });

  it('adds a created chat at the top, once', () => {
    const created = fromSummary(summary(12));
    const state = run(
      [
        { type: 'chatCreated', item: created, position: 120 },
        { type: 'chatCreated', item: created, position: 120 },
      ],
      twoChats(),
    );
    expect(order(state)).toEqual([12, 10, 11]);
    expect(item(state, 12).position).toBe(120);
  });

  it('shows our saved message as the latest without touching counters, unless a newer one is already there', () => {
    const own = (id: number, content: string, createdAt: string) => ({ id, senderId: ME, senderName: null, content, createdAt });
    const saved = run(
      [{ type: 'ownMessageSaved', chatId: 11, message: own(200, 'mine', '2025-01-17T16:00:00Z') }],
      twoChats(),
    );
    expect(order(saved)).toEqual([11, 10]);
    expect(item(saved, 11)).toMatchObject({ unread: 0, lastMessage: { id: 200, content: 'mine' } });

    const late = run(
      [{ type: 'ownMessageSaved', chatId: 10, message: own(200, 'older', '2025-01-17T14:00:00Z') }],
      twoChats(),
    );
    expect(item(late, 10).lastMessage?.content).toBe('last of 10');

    // The stream's echo showed it first (and maybe an edit of it since): the answer changes nothing.
    const echoed = run(
      [message(11, 120, ME), { type: 'messageEdited', chatId: 11, messageId: 1200, content: 'edited' }],
      twoChats(),
    );
    const answered = run(
      [{ type: 'ownMessageSaved', chatId: 11, message: own(1200, 'at 120', '2025-01-17T16:00:00Z') }],
      echoed,
    );
    expect(item(answered, 11).lastMessage?.content).toBe('edited');
  });

  describe('refresh (merging a later snapshot)', () => {
    const refresh = (items: ChatItem[], position: number): ChatListAction => ({
      type: 'snapshot',
      items,
      position,
      mode: 'refresh',
    });

    it('takes the server preview but keeps what this tab has read and the server does not know yet', () => {
      const readHere = run([read(10, 100)], twoChats());
      const state = run(
        [refresh([fromSummary(summary(11, 0, '2025-01-16T15:00:00Z')), fromSummary(summary(10, 2, '2025-01-15T00:00:00Z'))], 105)],
        readHere,
      );
      expect(order(state)).toEqual([11, 10]);
      expect(item(state, 10)).toMatchObject({ unread: 0, lastReadId: 100 });
      expect(item(state, 10).lastMessage?.createdAt).toBe('2025-01-15T00:00:00Z');
    });

    it("takes the server's count after a partial read (the refetch), which can go down", () => {
      const partial = run([message(10, 101), message(10, 102), read(10, 100, 103)], twoChats());
      expect(item(partial, 10)).toMatchObject({ unread: 4, lastReadId: 100 });
      expect(needsRefetch(partial)).toBe(true);
      const state = run([refresh([fromSummary(summary(10, 2, '2025-01-17T16:00:42Z', 100))], 104)], partial);
      expect(item(state, 10)).toMatchObject({ unread: 2, lastReadId: 100, unreadStale: false });
      expect(needsRefetch(state)).toBe(false);
    });

    it('keeps items the stream updated after the snapshot was read', () => {
      const live = run([message(11, 130, alex.id)], twoChats());
      const state = run(
        [refresh([fromSummary(summary(10, 2, '2025-01-17T15:00:00Z')), fromSummary(summary(11, 0, '2025-01-16T15:00:00Z'))], 120)],
        live,
      );
      expect(order(state)).toEqual([11, 10]);
      expect(item(state, 11)).toMatchObject({ unread: 1, lastMessage: { content: 'at 130' }, position: 130 });
    });
  });

  it('replaces everything after a reset', () => {
    const live = run([message(11, 130, alex.id)], twoChats());
    const state = run([snapshot([fromSummary(summary(10, 5))], 3)], live);
    expect(order(state)).toEqual([10]);
    expect(item(state, 10).unread).toBe(5);
  });
});

describe('admin chat list', () => {
  const adminChat: AdminChat = {
    id: 10,
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
    participants: [{ id: 4, name: 'Мария Иванова', role: 'student' }, ivan],
    messages_count: 2,
    last_message_at: '2025-01-17T15:00:00Z',
  };

  it('shows both participants and counts messages instead of unread ones', () => {
    const state = run([snapshot([fromAdminChat(adminChat)]), message(10, 101, 4)]);
    const chat = item(state, 10);
    expect(chatTitle(chat, en)).toBe('Мария Иванова · Иван Петров');
    expect(chat).toMatchObject({ messagesCount: 3, unread: 0, lastMessage: null, lastActivityAt: '2025-01-17T16:00:41Z' });
  });

  it('calls a chat without a title or people by its id, in the words of the translator passed', () => {
    const nameless = { ...fromAdminChat({ ...adminChat, participants: [] }), id: 7 };
    expect(chatTitle(nameless, en)).toBe('Chat 7');
    expect(chatTitle(nameless, i18n.getFixedT('ru'))).toBe('Чат 7');
  });
});
