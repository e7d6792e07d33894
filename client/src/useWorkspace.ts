// Server state of a signed-in session: the chat list, the conversations opened so far, and the
// live stream that keeps both current. Components get the state and a few actions; all the
// merging rules live in the pure reducers of chats.ts and messages.ts.
//
// Reading: a chat is being read while it is open, the tab is visible and its newest messages
// are on screen (the list reports whether its bottom is in view); useReadMarker moves our
// marker then. Admins never read anything in that sense.
//
// Typing and presence are not in the log: `typing` events feed indicators that expire
// (typing.ts), `presence` events and snapshots feed presence.ts. Presence events missed while
// the stream was down are not replayed, so each time the stream opens the presence shown is
// fetched again: the chat list for participants, the open chat's two people for admins.

import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';

import * as api from './api';
import { errorText, isUnauthorized } from './api';
import {
  type ChatItem,
  type ChatList,
  chatListReducer,
  fromAdminChat,
  fromSummary,
  hasChat,
  initialChatList,
  needsRefetch,
} from './chats';
import type { StreamEvent } from './events';
import {
  type ConversationAction,
  type Conversations,
  conversationsReducer,
  olderCursor,
} from './messages';
import { type PresenceAction, type PresenceMap, noPresence, participantsPresence, presenceReducer } from './presence';
import type { ReplyRef } from './quotes';
import { useOpenChat } from './route';
import type { Typing } from './typing';
import { type Connection, useEventStream } from './useEventStream';
import { usePageVisible } from './usePageVisible';
import { useReadMarker } from './useReadMarker';
import { useTypingIndicators } from './useTyping';

export interface Workspace {
  chatList: ChatList;
  conversations: Conversations;
  openChatId: number | null;
  openChat: (chatId: number | null) => void;
  connection: Connection;
  /** Who is typing where (never filled for admins). */
  typing: Typing;
  /** Who is online, for the people this session shows. */
  presence: PresenceMap;
  reloadChats: () => void;
  reloadConversation: (chatId: number) => void;
  loadOlder: (chatId: number) => void;
  send: (chatId: number, content: string, replyTo: ReplyRef | null) => void;
  retry: (chatId: number, key: string) => void;
  discard: (chatId: number, key: string) => void;
  /** Deletes one of our messages; rejects with the server's reason. */
  remove: (chatId: number, messageId: number) => Promise<void>;
  /** Changes the text of one of our messages; rejects with the server's reason. */
  edit: (chatId: number, messageId: number, content: string) => Promise<void>;
  /** The open chat's list tells whether its newest messages are on screen. */
  setAtBottom: (chatId: number, atBottom: boolean) => void;
}


type PresenceSnapshot = Extract<PresenceAction, { type: 'snapshot' }>['users'];

async function fetchChatItems(
  isAdmin: boolean,
): Promise<{ items: ChatItem[]; position: number | null; presence: PresenceSnapshot }> {
  if (isAdmin) {
    const { data, position } = await api.adminChats();
    return { items: data.map((chat) => fromAdminChat(chat)), position, presence: [] };
  }
  const { data, position } = await api.chats();
  return { items: data.map((chat) => fromSummary(chat)), position, presence: participantsPresence(data) };
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
  const [typing, dispatchTyping] = useTypingIndicators();
  const [presence, dispatchPresence] = useReducer(presenceReducer, noPresence);
  const [openChatId, openChat] = useOpenChat();
  const [streamStart, setStreamStart] = useState<{ after: number | null } | null>(null);
  const visible = usePageVisible();
  const [bottom, setBottom] = useState<{ chatId: number; atBottom: boolean } | null>(null);
  const readingChatId =
    !isAdmin && visible && openChatId !== null && bottom?.chatId === openChatId && bottom.atBottom ? openChatId : null;

  // The latest values, for callbacks that outlive a render (stream handlers, async loaders).
  const latest = useRef({ chatList, conversations, openChatId, readingChatId, onSignedOut });
  useLayoutEffect(() => {
    latest.current = { chatList, conversations, openChatId, readingChatId, onSignedOut };
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
      const requestedAt = Date.now();
      try {
        const { items, position, presence: users } = await fetchChatItems(isAdmin);
        dispatchChats({ type: 'snapshot', items, position: position ?? 0, mode });
        dispatchPresence({ type: 'snapshot', users, requestedAt });
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

  // Refreshing the list after deletions and partial reads: one request for a burst of them.
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
    if (!latest.current.conversations[openChatId]) void loadConversation(openChatId);
  }, [openChatId, loadConversation]);

  // An unread count only the server can tell (after a partial read). Not after a failed load:
  // that waits for "Try again" instead of asking again and again.
  useEffect(() => {
    if (chatList.status === 'ready' && needsRefetch(chatList)) refreshChatsSoon();
  }, [chatList, refreshChatsSoon]);

  useReadMarker({ readingChatId, conversations, chatList, me: me.id, dispatchChats, visible });

  // Admins see the presence of the open chat's two people: asked for when it opens (and each
  // time the stream opens), then kept current by events.
  const loadPresence = useCallback(
    async (userIds: readonly number[]) => {
      await Promise.all(
        userIds.map(async (userId) => {
          const requestedAt = Date.now();
          try {
            const { data } = await api.presence(userId);
            dispatchPresence({
              type: 'snapshot',
              users: [{ userId, online: data.online, lastSeen: data.last_seen }],
              requestedAt,
            });
          } catch (error) {
            if (isUnauthorized(error)) failed(error); // otherwise presence just stays unknown
          }
        }),
      );
    },
    [failed],
  );
  const openPeople = isAdmin
    ? (chatList.items.find((i) => i.id === openChatId)?.people.map((p) => p.id).join(',') ?? '')
    : '';
  useEffect(() => {
    if (openPeople !== '') void loadPresence(openPeople.split(',').map(Number));
  }, [openPeople, loadPresence]);

  const onStreamOpen = useCallback(() => {
    if (!isAdmin) {
      refreshChatsSoon();
      return;
    }
    const open = latest.current.chatList.items.find((i) => i.id === latest.current.openChatId);
    if (open) void loadPresence(open.people.map((p) => p.id));
  }, [isAdmin, refreshChatsSoon, loadPresence]);

  const setAtBottom = useCallback((chatId: number, atBottom: boolean) => {
    setBottom((now) => (now?.chatId === chatId && now.atBottom === atBottom ? now : { chatId, atBottom }));
  }, []);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      switch (event.type) {
        case 'new_message':
          inChat(event.chatId, { type: 'received', message: event.message });
          dispatchTyping({ type: 'message', chatId: event.chatId, userId: event.message.sender_id });
          if (!hasChat(latest.current.chatList, event.chatId)) refreshChatsSoon();
          dispatchChats({
            type: 'newMessage',
            chatId: event.chatId,
            message: {
              id: event.message.id,
              senderId: event.message.sender_id,
              content: event.message.content,
              createdAt: event.message.created_at,
            },
            position: event.position,
            me: me.id,
            readingChatId: latest.current.readingChatId,
          });
          break;
        case 'message_deleted':
          inChat(event.chatId, { type: 'deleted', id: event.messageId });
          refreshChatsSoon(); // the preview, counts and order may have changed
          break;
        case 'message_edited':
          inChat(event.chatId, { type: 'edited', message: event.message });
          dispatchChats({
            type: 'messageEdited',
            chatId: event.chatId,
            messageId: event.message.id,
            content: event.message.content,
          });
          break;
        case 'messages_read':
          inChat(event.chatId, { type: 'readBy', userId: event.userId, upTo: event.upTo });
          if (event.userId === me.id) {
            dispatchChats({ type: 'read', chatId: event.chatId, upTo: event.upTo, position: event.position });
          }
          break;
        case 'chat_created':
          dispatchChats({ type: 'chatCreated', item: event.chat, position: event.position });
          if (!isAdmin) refreshChatsSoon(); // for the new partner's presence
          break;
        case 'typing':
          // Only others' typing reaches us, and never an admin's stream; kept that way here.
          if (!isAdmin && event.userId !== me.id) {
            const { chatId, userId, isTyping } = event;
            dispatchTyping({ type: 'typing', chatId, userId, isTyping, at: Date.now() });
          }
          break;
        case 'presence': {
          const { userId, online, lastSeen } = event;
          dispatchPresence({ type: 'event', userId, online, lastSeen, at: Date.now() });
          break;
        }
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
    [inChat, loadChats, loadConversation, refreshChatsSoon, me.id, isAdmin, dispatchTyping],
  );

  const connection = useEventStream({ start: streamStart, onEvent, onOpen: onStreamOpen, onSignedOut });

  const deliver = useCallback(
    async (chatId: number, key: string, content: string, replyToId: number | null) => {
      try {
        const saved = await api.sendMessage(chatId, content, key, replyToId);
        inChat(chatId, { type: 'sendSucceeded', key, message: saved });
        dispatchChats({
          type: 'ownMessageSaved',
          chatId,
          message: { id: saved.id, senderId: saved.sender_id, content: saved.content, createdAt: saved.created_at },
        });
      } catch (error) {
        inChat(chatId, { type: 'sendFailed', key, error: failed(error) });
      }
    },
    [inChat, failed],
  );

  const send = useCallback(
    (chatId: number, content: string, replyTo: ReplyRef | null) => {
      const key = pendingKey();
      const createdAt = new Date().toISOString();
      inChat(chatId, { type: 'sendStarted', key, senderId: me.id, content, createdAt, replyTo });
      void deliver(chatId, key, content, replyTo?.id ?? null);
    },
    [inChat, deliver, me.id],
  );

  const retry = useCallback(
    (chatId: number, key: string) => {
      const pending = latest.current.conversations[chatId]?.pending.find((p) => p.key === key);
      if (!pending || pending.status !== 'failed') return;
      inChat(chatId, { type: 'retried', key });
      void deliver(chatId, key, pending.content, pending.replyTo?.id ?? null);
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

  const edit = useCallback(
    async (chatId: number, messageId: number, content: string) => {
      let saved: api.SentMessage;
      try {
        saved = await api.editMessage(messageId, content);
      } catch (error) {
        throw new Error(failed(error));
      }
      inChat(chatId, { type: 'edited', message: saved });
      dispatchChats({ type: 'messageEdited', chatId, messageId, content: saved.content });
    },
    [inChat, failed],
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
    typing,
    presence,
    reloadChats: useCallback(() => void loadChats('replace'), [loadChats]),
    reloadConversation: useCallback((chatId: number) => void loadConversation(chatId), [loadConversation]),
    loadOlder: useCallback((chatId: number) => void loadOlder(chatId), [loadOlder]),
    send,
    retry,
    discard,
    remove,
    edit,
    setAtBottom,
  };
}
