// What the chat list's tests share (chatList.test.ts, groups.test.ts, paging.test.ts,
// inquiries.test.ts): people, a participant's chat summary, and actions.

import type { ChatSummary } from '../api';
import { i18n } from '../i18n';
import { chatListReducer, initialChatList } from './chatList';
import { fromSummary } from './items';
import type { ChatItem, ChatList, ChatListAction } from './model';

export const en = i18n.getFixedT('en');

export const ME = 1;
export const ivan = { id: 2, name: 'Иван Петров', role: 'teacher' as const };
export const alex = { id: 3, name: 'Alex Kim', role: 'student' as const };

/** A chat whose last message has id `id * 10` (from the other participant). */
export function summary(id: number, unread = 0, at: string | null = null, lastRead = 0): ChatSummary {
  const other = id === 10 ? ivan : alex;
  return {
    id,
    kind: 'direct',
    title: null,
    context: null,
    subjects: [],
    children: [],
    created_by: null,
    updated_at: at ?? '2025-01-10T12:00:00Z',
    participants_count: 2,
    guardians_read: false,
    announcement: false,
    teacher_departed: false,
    audience: null,
    recipients: null,
    closed_at: null,
    ward: null,
    ward_only: false,
    participant: { ...other, online: false, last_seen: null },
    last_message: at
      ? { id: id * 10, sender_id: other.id, sender_name: null, content: `last of ${id}`, created_at: at, type: 'text', removed: null }
      : null,
    unread_count: unread,
    last_read_message_id: lastRead,
    muted: false,
    participant_departed: false,
    archived: false,
  };
}

export function run(actions: ChatListAction[], start: ChatList = initialChatList): ChatList {
  return actions.reduce(chatListReducer, start);
}

export const order = (state: ChatList) => state.items.map((i) => i.id);
export const item = (state: ChatList, id: number) => state.items.find((i) => i.id === id)!;

export const snapshot = (items: ChatItem[], position = 100): ChatListAction => ({
  type: 'snapshot',
  items,
  position,
  mode: 'replace',
});

/** Message `position * 10` at log `position`. */
export const message = (chatId: number, position: number, senderId = ivan.id, readingChatId: number | null = null) =>
  ({
    type: 'newMessage',
    chatId,
    message: {
      id: position * 10,
      senderId,
      senderName: null,
      content: `at ${position}`,
      createdAt: `2025-01-17T16:00:${String(position % 60).padStart(2, '0')}Z`,
    },
    position,
    me: ME,
    readingChatId,
  }) as const;

export const read = (chatId: number, upTo: number, position: number | null = null): ChatListAction => ({
  type: 'read',
  chatId,
  upTo,
  position,
});

export const twoChats = () =>
  run([snapshot([fromSummary(summary(10, 2, '2025-01-17T15:00:00Z')), fromSummary(summary(11, 0, '2025-01-16T15:00:00Z'))])]);
