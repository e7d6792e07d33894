import { describe, expect, it } from 'vitest';

import type { AdminChat, ChatSummary } from './api';
import {
  type ChatItem,
  type ChatList,
  type ChatListAction,
  chatListReducer,
  chatTitle,
  fromAdminChat,
  fromSummary,
  initialChatList,
} from './chats';

const ME = 1;
const ivan = { id: 2, name: 'Иван Петров', role: 'teacher' as const };
const alex = { id: 3, name: 'Alex Kim', role: 'student' as const };

function summary(id: number, unread = 0, at: string | null = null): ChatSummary {
  return {
    id,
    participant: id === 10 ? ivan : alex,
    last_message: at ? { content: `last of ${id}`, created_at: at } : null,
    unread_count: unread,
  };
}

function run(actions: ChatListAction[], start: ChatList = initialChatList): ChatList {
  return actions.reduce(chatListReducer, start);
}

const order = (state: ChatList) => state.items.map((i) => i.id);
const item = (state: ChatList, id: number) => state.items.find((i) => i.id === id)!;

const snapshot = (items: ChatItem[], position = 100, openChatId: number | null = null): ChatListAction => ({
  type: 'snapshot',
  items,
  position,
  mode: 'replace',
  openChatId,
});

const message = (chatId: number, position: number, senderId = ivan.id, openChatId: number | null = null) =>
  ({
    type: 'newMessage',
    chatId,
    message: { senderId, content: `at ${position}`, createdAt: `2025-01-17T16:00:${String(position % 60).padStart(2, '0')}Z` },
    position,
    me: ME,
    openChatId,
  }) as const;

const twoChats = () =>
  run([snapshot([fromSummary(summary(10, 2, '2025-01-17T15:00:00Z')), fromSummary(summary(11, 0, '2025-01-16T15:00:00Z'))])]);

describe('chat list', () => {
  it('loads a snapshot; the open chat counts as read', () => {
    const state = run([snapshot([fromSummary(summary(10, 2)), fromSummary(summary(11, 4))], 100, 11)]);
    expect(state.status).toBe('ready');
    expect(order(state)).toEqual([10, 11]);
    expect(item(state, 10).unread).toBe(2);
    expect(item(state, 11).unread).toBe(0);
  });

  it('moves a chat with a new message to the top and bumps its badge', () => {
    const state = run([message(11, 101, alex.id)], twoChats());
    expect(order(state)).toEqual([11, 10]);
    expect(item(state, 11)).toMatchObject({ unread: 1, lastMessage: { content: 'at 101' }, position: 101 });
  });

  it('does not bump the badge of the open chat, nor for our own messages', () => {
    const open = run([message(11, 101, alex.id, 11)], twoChats());
    expect(item(open, 11).unread).toBe(0);
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

  it('marks a chat read when it is opened', () => {
    const state = run([{ type: 'read', chatId: 10 }], twoChats());
    expect(item(state, 10).unread).toBe(0);
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
    const saved = run(
      [{ type: 'ownMessageSaved', chatId: 11, content: 'mine', createdAt: '2025-01-17T16:00:00Z' }],
      twoChats(),
    );
    expect(order(saved)).toEqual([11, 10]);
    expect(item(saved, 11)).toMatchObject({ unread: 0, lastMessage: { content: 'mine' } });

    const late = run(
      [{ type: 'ownMessageSaved', chatId: 10, content: 'older', createdAt: '2025-01-17T14:00:00Z' }],
      twoChats(),
    );
    expect(item(late, 10).lastMessage?.content).toBe('last of 10');
  });

  describe('refresh (merging a later snapshot)', () => {
    const refresh = (items: ChatItem[], position: number, openChatId: number | null = null): ChatListAction => ({
      type: 'snapshot',
      items,
      position,
      mode: 'refresh',
      openChatId,
    });

    it('takes the server preview but keeps what this tab has read', () => {
      const read = run([{ type: 'read', chatId: 10 }], twoChats());
      const state = run(
        [refresh([fromSummary(summary(11, 0, '2025-01-16T15:00:00Z')), fromSummary(summary(10, 2, '2025-01-15T00:00:00Z'))], 105)],
        read,
      );
      expect(order(state)).toEqual([11, 10]);
      expect(item(state, 10).unread).toBe(0);
      expect(item(state, 10).lastMessage?.createdAt).toBe('2025-01-15T00:00:00Z');
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
    participants: [{ id: 4, name: 'Мария Иванова', role: 'student' }, ivan],
    messages_count: 2,
    last_message_at: '2025-01-17T15:00:00Z',
  };

  it('shows both participants and counts messages instead of unread ones', () => {
    const state = run([snapshot([fromAdminChat(adminChat)]), message(10, 101, 4)]);
    const chat = item(state, 10);
    expect(chatTitle(chat)).toBe('Мария Иванова · Иван Петров');
    expect(chat).toMatchObject({ messagesCount: 3, unread: 0, lastMessage: null, lastActivityAt: '2025-01-17T16:00:41Z' });
  });
});
