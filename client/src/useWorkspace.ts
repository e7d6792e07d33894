// Server state of a signed-in session: the chat list, the conversations opened so far, and the
// live stream that keeps both current. Components get the state and a few actions; all the
// merging rules live in the pure reducers of chats.ts and messages.ts.

import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';

import * as api from './api';
import { errorText, isUnauthorized } from './api';
import { type ChatItem, type ChatList, chatListReducer, fromAdminChat, fromSummary, hasChat, initialChatList } from './chats';
import type { StreamEvent } from './events';
import { type ConversationAction, type Conversations, conversationsReducer, olderCursor } from './messages';
import { useOpenChat } from './route';
import { type Connection, useEventStream } from './useEventStream';

export interface Workspace {
  chatList: ChatList;
  conversations: Conversations;
  openChatId: number | null;
  openChat: (chatId: number | null) => void;
  connection: Connection;
  reloadChats: () => void;
  reloadConversation: (chatId: number) => void;
  loadOlder: (chatId: number) => void;
  send: (chatId: number, content: string) => void;
  retry: (chatId: number, key: string) => void;
  discard: (chatId: number, key: string) => void;
  /** Deletes one of our messages; rejects with the server's reason. */
  remove: (chatId: number, messageId: number) => Promise<void>;
}

async function fetchChatItems(isAdmin: boolean): Promise<{ items: ChatItem[]; position: number | null }> {
  if (isAdmin) {
    const { data, position } = await api.adminChats();
    return { items: data.map((chat) => fromAdminChat(chat)), position };
  }
  const { data, position } = await api.chats();
  return { items: data.map((chat) => fromSummary(chat)), position };
}

let pendingCounter = 0;
/**
 * A pending message's key: its local id while it is sent, and its `Idempotency-Key`, so every
 * retry of one message is recognised by the server as the same message. Random (not just a
 * counter), as it must not repeat across tabs, reloads and devices of one user.
 */
const pendingKey = () => {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0'));
  return `pending-${Date.now()}-${++pendingCounter}-${random.join('')}`;
};

export function useWorkspace(me: api.Person, onSignedOut: () => void): Workspace {
  const isAdmin = me.role === 'admin';
  const [chatList, dispatchChats] = useReducer(chatListReducer, initialChatList);
  const [conversations, dispatchConversations] = useReducer(conversationsReducer, {});
  const [openChatId, openChat] = useOpenChat();
  const [streamStart, setStreamStart] = useState<{ after: number | null } | null>(null);

  // The latest values, for callbacks that outlive a render (stream handlers, async loaders).
  const latest = useRef({ chatList, conversations, openChatId, onSignedOut });
  useLayoutEffect(() => {
    latest.current = { chatList, conversations, openChatId, onSignedOut };
  });

  const failed = useCallback((error: unknown): string => {
    if (isUnauthorized(error)) latest.current.onSignedOut();
    return errorText(error);
  }, []);

  const inChat = useCallback(
    (chatId: number, action: ConversationAction) => dispatchConversations({ type: 'chat', chatId, action }),
    [],
  );

  const loadChats = useCallback(
    async (mode: 'replace' | 'refresh') => {
      try {
        const { items, position } = await fetchChatItems(isAdmin);
        dispatchChats({ type: 'snapshot', items, position: position ?? 0, mode, openChatId: latest.current.openChatId });
        setStreamStart((start) => start ?? { after: position });
      } catch (error) {
        dispatchChats({ type: 'loadFailed', error: failed(error) });
      }
    },
    [isAdmin, failed],
  );

  const loadConversation = useCallback(
    async (chatId: number) => {
      dispatchConversations({ type: 'opened', chatId });
      try {
        const { data } = await api.messages(chatId);
        inChat(chatId, { type: 'snapshot', messages: data.messages, hasMore: data.has_more });
      } catch (error) {
        inChat(chatId, { type: 'loadFailed', error: failed(error) });
      }
    },
    [inChat, failed],
  );

  // Refreshing the list after deletions: one request for a burst of them.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refreshChatsSoon = useCallback(() => {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => void loadChats('refresh'), 250);
  }, [loadChats]);
  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  useEffect(() => {
    void loadChats('replace');
  }, [loadChats]);

  useEffect(() => {
    if (openChatId === null) return;
    dispatchChats({ type: 'read', chatId: openChatId });
    if (!latest.current.conversations[openChatId]) void loadConversation(openChatId);
  }, [openChatId, loadConversation]);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      switch (event.type) {
        case 'new_message':
          inChat(event.chatId, { type: 'received', message: event.message });
          if (!hasChat(latest.current.chatList, event.chatId)) refreshChatsSoon();
          dispatchChats({
            type: 'newMessage',
            chatId: event.chatId,
            message: {
              senderId: event.message.sender_id,
              content: event.message.content,
              createdAt: event.message.created_at,
            },
            position: event.position,
            me: me.id,
            openChatId: latest.current.openChatId,
          });
          break;
        case 'message_deleted':
          inChat(event.chatId, { type: 'deleted', id: event.messageId });
          refreshChatsSoon(); // the preview, counts and order may have changed
          break;
        case 'chat_created':
          dispatchChats({ type: 'chatCreated', item: event.chat, position: event.position });
          break;
        case 'reset': {
          // The stream could not resume where we were: reload everything we show.
          const open = latest.current.openChatId;
          dispatchConversations({ type: 'keptOnly', chatId: open });
          void loadChats('replace');
          if (open !== null) void loadConversation(open);
          break;
        }
      }
    },
    [inChat, loadChats, loadConversation, refreshChatsSoon, me.id],
  );

  const connection = useEventStream({ start: streamStart, onEvent, onSignedOut });

  const deliver = useCallback(
    async (chatId: number, key: string, content: string) => {
      try {
        const saved = await api.sendMessage(chatId, content, key);
        inChat(chatId, { type: 'sendSucceeded', key, message: saved });
        dispatchChats({ type: 'ownMessageSaved', chatId, content: saved.content, createdAt: saved.created_at });
      } catch (error) {
        inChat(chatId, { type: 'sendFailed', key, error: failed(error) });
      }
    },
    [inChat, failed],
  );

  const send = useCallback(
    (chatId: number, content: string) => {
      const key = pendingKey();
      inChat(chatId, { type: 'sendStarted', key, senderId: me.id, content, createdAt: new Date().toISOString() });
      void deliver(chatId, key, content);
    },
    [inChat, deliver, me.id],
  );

  const retry = useCallback(
    (chatId: number, key: string) => {
      const pending = latest.current.conversations[chatId]?.pending.find((p) => p.key === key);
      if (!pending || pending.status !== 'failed') return;
      inChat(chatId, { type: 'retried', key });
      void deliver(chatId, key, pending.content);
    },
    [inChat, deliver],
  );

  const discard = useCallback((chatId: number, key: string) => inChat(chatId, { type: 'discarded', key }), [inChat]);

  const remove = useCallback(
    async (chatId: number, messageId: number) => {
      try {
        await api.deleteMessage(messageId);
      } catch (error) {
        throw new Error(failed(error));
      }
      inChat(chatId, { type: 'deleted', id: messageId });
      refreshChatsSoon();
    },
    [inChat, failed, refreshChatsSoon],
  );

  const olderInFlight = useRef(new Set<number>());
  const loadOlder = useCallback(
    async (chatId: number) => {
      const conversation = latest.current.conversations[chatId];
      const before = conversation ? olderCursor(conversation) : null;
      if (before === null || olderInFlight.current.has(chatId)) return;
      olderInFlight.current.add(chatId);
      inChat(chatId, { type: 'olderRequested' });
      try {
        const { data } = await api.messages(chatId, before);
        inChat(chatId, { type: 'olderLoaded', messages: data.messages, hasMore: data.has_more });
      } catch (error) {
        inChat(chatId, { type: 'olderFailed', error: failed(error) });
      } finally {
        olderInFlight.current.delete(chatId);
      }
    },
    [inChat, failed],
  );

  return {
    chatList,
    conversations,
    openChatId,
    openChat,
    connection,
    reloadChats: useCallback(() => void loadChats('replace'), [loadChats]),
    reloadConversation: useCallback((chatId: number) => void loadConversation(chatId), [loadConversation]),
    loadOlder: useCallback((chatId: number) => void loadOlder(chatId), [loadOlder]),
    send,
    retry,
    discard,
    remove,
  };
}
