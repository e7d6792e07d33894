// The chat list as a pure reducer, for participants and admins alike. Each item remembers the
// log position of the newest event applied to it, so a snapshot that was read before that
// event (its `X-Event-Position` is lower) cannot overwrite it with older data, and an event
// delivered twice is applied once.

import type { AdminChat, ChatSummary, Person } from './api';

export interface ChatItem {
  id: number;
  /** The other participant for students and teachers; both participants for admins. */
  people: Person[];
  /** Participants only: the newest visible message. */
  lastMessage: { content: string; createdAt: string } | null;
  lastActivityAt: string | null;
  unread: number;
  /** Admins only: the number of visible messages. */
  messagesCount: number | null;
  /** Log position of the newest event applied to this item; 0 when it only comes from a snapshot. */
  position: number;
}

export interface ChatList {
  status: 'loading' | 'ready' | 'failed';
  error: string | null;
  items: ChatItem[];
}

export type ChatListAction =
  /** `replace` trusts the snapshot (first load, after a reset); `refresh` merges it with what the stream already applied. */
  | { type: 'snapshot'; items: ChatItem[]; position: number; mode: 'replace' | 'refresh'; openChatId: number | null }
  | { type: 'loadFailed'; error: string }
  | { type: 'chatCreated'; item: ChatItem; position: number }
  | {
      type: 'newMessage';
      chatId: number;
      message: { senderId: number | null; content: string; createdAt: string };
      position: number;
      me: number;
      openChatId: number | null;
    }
  /** Our own message was saved (the POST answer): show it as the latest, counters untouched. */
  | { type: 'ownMessageSaved'; chatId: number; content: string; createdAt: string }
  | { type: 'read'; chatId: number };

export const initialChatList: ChatList = { status: 'loading', error: null, items: [] };

export function fromSummary(chat: ChatSummary, position = 0): ChatItem {
  return {
    id: chat.id,
    people: [chat.participant],
    lastMessage: chat.last_message && { content: chat.last_message.content, createdAt: chat.last_message.created_at },
    lastActivityAt: chat.last_message?.created_at ?? null,
    unread: chat.unread_count,
    messagesCount: null,
    position,
  };
}

export function fromAdminChat(chat: AdminChat, position = 0): ChatItem {
  return {
    id: chat.id,
    people: chat.participants,
    lastMessage: null,
    lastActivityAt: chat.last_message_at,
    unread: 0,
    messagesCount: chat.messages_count,
    position,
  };
}

export function chatTitle(item: ChatItem): string {
  return item.people.map((p) => p.name).join(' · ') || `Chat ${item.id}`;
}

function toTop(items: ChatItem[], item: ChatItem): ChatItem[] {
  return [item, ...items.filter((i) => i.id !== item.id)];
}

function withOpenRead(items: ChatItem[], openChatId: number | null): ChatItem[] {
  return items.map((i) => (i.id === openChatId && i.unread !== 0 ? { ...i, unread: 0 } : i));
}

function mergeSnapshot(local: ChatItem[], snapshot: ChatItem[], position: number): ChatItem[] {
  const localById = new Map(local.map((i) => [i.id, i]));
  // Items the stream has updated since the snapshot was read keep their newer state and place.
  const newer = local.filter((i) => i.position > position);
  const newerIds = new Set(newer.map((i) => i.id));
  const rest = snapshot
    .filter((i) => !newerIds.has(i.id))
    .map((i) => {
      const mine = localById.get(i.id);
      // The server's unread count never goes down by itself; what this tab has read stays read.
      return mine ? { ...i, unread: Math.min(mine.unread, i.unread) } : i;
    });
  return [...newer, ...rest];
}

export function chatListReducer(state: ChatList, action: ChatListAction): ChatList {
  switch (action.type) {
    case 'snapshot': {
      // What the snapshot shows includes every event up to its position: those must not count twice.
      const fresh = action.items.map((i) => ({ ...i, position: Math.max(i.position, action.position) }));
      const items = action.mode === 'replace' ? fresh : mergeSnapshot(state.items, fresh, action.position);
      return { status: 'ready', error: null, items: withOpenRead(items, action.openChatId) };
    }
    case 'loadFailed':
      return { ...state, status: 'failed', error: action.error };
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
        lastMessage: counts ? { content: message.content, createdAt: message.createdAt } : null,
        lastActivityAt: message.createdAt,
        unread: counts && fromOther && action.chatId !== action.openChatId ? item.unread + 1 : item.unread,
        messagesCount: item.messagesCount === null ? null : item.messagesCount + 1,
        position: action.position,
      };
      return { ...state, items: toTop(state.items, updated) };
    }
    case 'ownMessageSaved': {
      const item = state.items.find((i) => i.id === action.chatId);
      // The stream may already have shown a newer message (someone answered at once).
      if (!item || (item.lastActivityAt !== null && Date.parse(item.lastActivityAt) > Date.parse(action.createdAt))) {
        return state;
      }
      const updated: ChatItem = {
        ...item,
        lastMessage: { content: action.content, createdAt: action.createdAt },
        lastActivityAt: action.createdAt,
      };
      return { ...state, items: toTop(state.items, updated) };
    }
    case 'read':
      return { ...state, items: withOpenRead(state.items, action.chatId) };
  }
}

export function hasChat(state: ChatList, chatId: number): boolean {
  return state.items.some((i) => i.id === chatId);
}
