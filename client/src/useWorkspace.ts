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
// fetched again: the chat list for participants, the open chat's two people for admins (the
// open group's members, for everyone).
//
// Groups: the open group's members come from `GET /api/chats/{id}` (groups.ts keeps them
// current with the membership events); when we are added to a group the chat list is fetched
// again, so it appears; when we are removed, the list item and the conversation say so
// (chats.ts, messages.ts). Names met anywhere are remembered, for a group's senders.
//
// The list comes a page at a time: `loadMore` asks for the next one (the list's end is in
// view), and a search asks the server too (`searchChats`, for chats not loaded yet); both are
// merged into the list by chat id. An inquiry closed by the server (`chat_closed`) is
// read-only; a send refused with 409 asks the chat's details, which say when it was closed.
//
// Guests (a visitor of an inquiry link) use exactly their chat, and the server refuses them
// everything else: this hook then opens their one chat (not from the URL) and asks for nothing
// beyond the list, the chat's history, the stream, sending, typing and read markers — which is
// all it asks of anyone but admins and group members (unread counts come with the list;
// presence lookups are for admins; the user list is for group dialogs).

import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

import * as api from './api';
import { errorText, isUnauthorized } from './api';
import { messageType } from './attachments';
import {
  type ChatItem,
  type ChatList,
  chatListReducer,
  fromAdminChat,
  fromSummary,
  initialChatList,
  needsRefetch,
} from './chats';
import { type StreamEvent, isLogEvent } from './events';
import { guestChat } from './inquiry';
import {
  type Groups,
  type KnownPerson,
  type People,
  groupsReducer,
  noGroups,
  noPeople,
  rememberPeople,
} from './groups';
import {
  type ConversationAction,
  type Conversations,
  conversationsReducer,
  olderCursor,
} from './messages';
import {
  type PresenceAction,
  type PresenceMap,
  membersPresence,
  noPresence,
  participantsPresence,
  presenceReducer,
} from './presence';
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
  /** The members of the groups opened so far. */
  groups: Groups;
  /** Everyone whose name this session has seen, by id (senders of group messages). */
  people: People;
  reloadChats: () => void;
  reloadConversation: (chatId: number) => void;
  loadOlder: (chatId: number) => void;
  /** Sends a message: its text (may be empty beside attachments) and the files uploaded for it. */
  send: (chatId: number, content: string, replyTo: ReplyRef | null, attachments?: readonly api.Attachment[]) => void;
  retry: (chatId: number, key: string) => void;
  discard: (chatId: number, key: string) => void;
  /** Deletes one of our messages; rejects with the server's reason. */
  remove: (chatId: number, messageId: number) => Promise<void>;
  /** Changes the text of one of our messages; rejects with the server's reason. */
  edit: (chatId: number, messageId: number, content: string) => Promise<void>;
  /** The open chat's list tells whether its newest messages are on screen. */
  setAtBottom: (chatId: number, atBottom: boolean) => void;
  /** Fetches a group's members again. */
  reloadGroup: (chatId: number) => void;
  /** Creates a group (teachers and admins); resolves with its id, rejects with the server's reason. */
  createGroup: (title: string, memberIds: number[]) => Promise<number>;
  /** Renames a group (its owner or an admin); rejects with the server's reason. */
  renameGroup: (chatId: number, title: string) => Promise<void>;
  /** Adds a member to a group (its owner or an admin); rejects with the server's reason. */
  addMember: (chatId: number, userId: number) => Promise<void>;
  /** Removes a member (its owner or an admin), or leaves (our own id); rejects with the server's reason. */
  removeMember: (chatId: number, userId: number) => Promise<void>;
  /** Asks for the list's next page (if there is one and it is not on its way). */
  loadMore: () => void;
  /** What the server search found for the search box's text (blank: none asked). */
  search: ChatSearch;
  /** Asks the server for the chats matching `query` (blank: forget the search). */
  searchChats: (query: string) => void;
}

/** A server search of the chat list: for which text, how it went, and the chats it found. */
export interface ChatSearch {
  query: string;
  status: 'idle' | 'loading' | 'done' | 'failed';
  error: string | null;
  /** The ids of the chats found (merged into the list). */
  found: ReadonlySet<number>;
}

const noSearch: ChatSearch = { query: '', status: 'idle', error: null, found: new Set() };


type PresenceSnapshot = Extract<PresenceAction, { type: 'snapshot' }>['users'];

interface FetchedChats {
  items: ChatItem[];
  position: number | null;
  nextCursor: string | null;
  presence: PresenceSnapshot;
  people: KnownPerson[];
}

/** A page of the list (the first without a cursor), or what a search finds (`q`). */
async function fetchChatItems(isAdmin: boolean, query: api.ChatQuery = {}): Promise<FetchedChats> {
  if (isAdmin) {
    const { data, position } = await api.adminChats(query);
    const people = data.chats.flatMap((chat) => chat.participants);
    const items = data.chats.map((chat) => fromAdminChat(chat));
    return { items, position, nextCursor: data.next_cursor, presence: [], people };
  }
  const { data, position } = await api.chats(query);
  const people = data.chats.flatMap((chat): KnownPerson[] => {
    const sender = chat.last_message?.sender_name;
    return [
      ...(chat.participant ? [chat.participant] : []),
      ...(chat.last_message && sender ? [{ id: chat.last_message.sender_id, name: sender }] : []),
    ];
  });
  return {
    items: data.chats.map((chat) => fromSummary(chat)),
    position,
    nextCursor: data.next_cursor,
    presence: participantsPresence(data.chats),
    people,
  };
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
  const isGuest = me.role === 'guest';
  const [chatList, dispatchChats] = useReducer(chatListReducer, initialChatList);
  const [conversations, dispatchConversations] = useReducer(conversationsReducer, {});
  const [typing, dispatchTyping] = useTypingIndicators();
  const [presence, dispatchPresence] = useReducer(presenceReducer, noPresence);
  const [groups, dispatchGroups] = useReducer(groupsReducer, noGroups);
  const [people, remember] = useReducer(rememberPeople, noPeople);
  const [routeChatId, openRouteChat] = useOpenChat();
  // A guest has one chat, whatever the URL says (their page stays the link's).
  const openChatId = isGuest ? (guestChat(chatList.items)?.id ?? null) : routeChatId;
  const openChat = useCallback((chatId: number | null) => (isGuest ? undefined : openRouteChat(chatId)), [isGuest, openRouteChat]);
  const [search, setSearch] = useState<ChatSearch>(noSearch);
  const [streamStart, setStreamStart] = useState<{ after: number | null } | null>(null);
  const visible = usePageVisible();
  const [bottom, setBottom] = useState<{ chatId: number; atBottom: boolean } | null>(null);
  const readingChatId =
    !isAdmin && visible && openChatId !== null && bottom?.chatId === openChatId && bottom.atBottom ? openChatId : null;

  // The latest values, for callbacks that outlive a render (stream handlers, async loaders).
  const { t } = useTranslation();
  const latest = useRef({ chatList, conversations, openChatId, readingChatId, onSignedOut, people, groups, t });
  useLayoutEffect(() => {
    latest.current = { chatList, conversations, openChatId, readingChatId, onSignedOut, people, groups, t };
  });
  // The newest log position handled: a group's snapshot requested now shows everything up to it.
  const handledPosition = useRef<number | null>(null);

  const failed = useCallback((error: unknown): string => {
    if (isUnauthorized(error)) latest.current.onSignedOut();
    return errorText(error, latest.current.t);
  }, []);

  const inChat = useCallback(
    (chatId: number, action: ConversationAction) => dispatchConversations({ type: 'chat', chatId, action }),
    [],
  );

  const loadChats = useCallback(
    async (mode: 'replace' | 'refresh') => {
      const requestedAt = Date.now();
      try {
        const { items, position, nextCursor, presence: users, people: met } = await fetchChatItems(isAdmin);
        dispatchChats({ type: 'snapshot', items, position: position ?? 0, mode, nextCursor });
        dispatchPresence({ type: 'snapshot', users, requestedAt });
        remember(met);
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

  /** A group's snapshot (the answer of a request sent when the log was handled up to `after`). */
  const groupLoaded = useCallback((details: api.ChatDetails, after: number | null, requestedAt: number) => {
    dispatchGroups({ type: 'loaded', details, after });
    dispatchPresence({ type: 'snapshot', users: membersPresence(details), requestedAt });
    remember(details.participants);
  }, []);

  const loadGroup = useCallback(
    async (chatId: number) => {
      const after = handledPosition.current;
      const requestedAt = Date.now();
      try {
        groupLoaded(await api.chatDetails(chatId), after, requestedAt);
      } catch (error) {
        failed(error); // the members panel offers to try again
      }
    },
    [groupLoaded, failed],
  );

  /** A page or search answer: its presence and names, as with the first page. */
  const absorb = useCallback((fetched: FetchedChats, requestedAt: number) => {
    dispatchPresence({ type: 'snapshot', users: fetched.presence, requestedAt });
    remember(fetched.people);
  }, []);

  const loadMore = useCallback(async () => {
    const { nextCursor: cursor, more, status } = latest.current.chatList;
    if (status !== 'ready' || cursor === null || more.status === 'loading') return;
    dispatchChats({ type: 'pageRequested', cursor });
    const requestedAt = Date.now();
    try {
      const fetched = await fetchChatItems(isAdmin, { cursor });
      const { items, position, nextCursor } = fetched;
      dispatchChats({ type: 'pageLoaded', cursor, items, position: position ?? 0, nextCursor });
      absorb(fetched, requestedAt);
    } catch (error) {
      dispatchChats({ type: 'pageFailed', cursor, error: failed(error) });
    }
  }, [isAdmin, failed, absorb]);

  // The newest search asked: an older one answered late changes the list, not what is shown as found.
  const searchSeq = useRef(0);
  const searchChats = useCallback(
    async (query: string) => {
      const seq = ++searchSeq.current;
      const text = query.trim();
      if (text === '') {
        setSearch(noSearch);
        return;
      }
      setSearch((now) => ({ query: text, status: 'loading', error: null, found: now.query === text ? now.found : new Set() }));
      const requestedAt = Date.now();
      try {
        // The server takes at most 100 characters of search text.
        const fetched = await fetchChatItems(isAdmin, { q: [...text].slice(0, 100).join('') });
        dispatchChats({ type: 'found', items: fetched.items, position: fetched.position ?? 0 });
        absorb(fetched, requestedAt);
        if (seq === searchSeq.current) {
          setSearch({ query: text, status: 'done', error: null, found: new Set(fetched.items.map((i) => i.id)) });
        }
      } catch (error) {
        const why = failed(error);
        if (seq === searchSeq.current) setSearch({ query: text, status: 'failed', error: why, found: new Set() });
      }
    },
    [isAdmin, failed, absorb],
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
  const openItem = chatList.items.find((i) => i.id === openChatId);
  // (A group's members come with the group.)
  const openPeople = isAdmin && openItem && openItem.kind !== 'group' ? openItem.people.map((p) => p.id).join(',') : '';
  useEffect(() => {
    if (openPeople !== '') void loadPresence(openPeople.split(',').map(Number));
  }, [openPeople, loadPresence]);

  // An open group's members (with their presence), once per group; the events keep them current.
  const openGroup = openItem?.kind === 'group' && openItem.membership === 'member' ? openItem.id : null;
  useEffect(() => {
    if (openGroup !== null && !latest.current.groups[openGroup]?.details) void loadGroup(openGroup);
  }, [openGroup, loadGroup]);

  const onStreamOpen = useCallback(() => {
    const open = latest.current.chatList.items.find((i) => i.id === latest.current.openChatId);
    // Presence events missed while the stream was down: the open group's members again.
    if (open?.kind === 'group' && open.membership === 'member') void loadGroup(open.id);
    if (!isAdmin) {
      refreshChatsSoon();
      return;
    }
    if (open && open.kind !== 'group') void loadPresence(open.people.map((p) => p.id));
  }, [isAdmin, refreshChatsSoon, loadPresence, loadGroup]);

  const setAtBottom = useCallback((chatId: number, atBottom: boolean) => {
    setBottom((now) => (now?.chatId === chatId && now.atBottom === atBottom ? now : { chatId, atBottom }));
  }, []);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (isLogEvent(event)) handledPosition.current = event.position;
      switch (event.type) {
        case 'new_message': {
          const senderId = event.message.sender_id;
          inChat(event.chatId, { type: 'received', message: event.message });
          dispatchTyping({ type: 'message', chatId: event.chatId, userId: senderId });
          const item = latest.current.chatList.items.find((i) => i.id === event.chatId);
          const sender = item?.kind === 'group' && senderId !== me.id ? latest.current.people.get(senderId) : undefined;
          // A chat we do not list yet, or a group message from someone we cannot name: the list
          // (with the last message's sender) is fetched again.
          if (!item || (item.kind === 'group' && senderId !== me.id && !sender)) refreshChatsSoon();
          dispatchChats({
            type: 'newMessage',
            chatId: event.chatId,
            message: {
              id: event.message.id,
              senderId,
              senderName: sender?.name ?? null,
              content: event.message.content,
              createdAt: event.message.created_at,
              type: messageType(event.message.type, event.message.attachments ?? []),
              attachments: event.message.attachments ?? [],
            },
            position: event.position,
            me: me.id,
            readingChatId: latest.current.readingChatId,
          });
          break;
        }
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
          remember(event.chat.people);
          if (!isAdmin) refreshChatsSoon(); // for the new partner's presence
          break;
        case 'participant_added': {
          const { chatId, user, actorId, position } = event;
          remember([user]);
          dispatchGroups({ type: 'event', chatId, event: { type: 'added', position, user } });
          const notice = { position, kind: 'added', userId: user.id, actorId, title: null } as const;
          inChat(chatId, { type: 'notice', notice, me: me.id });
          dispatchChats({ type: 'participantAdded', chatId, user, position, me: me.id });
          if (user.id === me.id) {
            // We joined: the group appears with the list's next snapshot. Rejoined: what we
            // see of it starts again from now, so its conversation loads again.
            refreshChatsSoon();
            const seen = latest.current.conversations[chatId];
            if (seen && seen.membership !== 'member') {
              dispatchConversations({ type: 'forgot', chatId });
              if (latest.current.openChatId === chatId) void loadConversation(chatId);
            }
          }
          break;
        }
        case 'participant_removed': {
          const { chatId, userId, actorId, position } = event;
          dispatchGroups({ type: 'event', chatId, event: { type: 'removed', position, userId } });
          const notice = { position, kind: 'removed', userId, actorId, title: null } as const;
          inChat(chatId, { type: 'notice', notice, me: me.id });
          dispatchChats({ type: 'participantRemoved', chatId, userId, actorId, position, me: me.id });
          dispatchTyping({ type: 'message', chatId, userId }); // they type there no more
          break;
        }
        case 'chat_renamed': {
          const { chatId, title, actorId, position } = event;
          dispatchGroups({ type: 'event', chatId, event: { type: 'renamed', position, title } });
          const notice = { position, kind: 'renamed', userId: null, actorId, title } as const;
          inChat(chatId, { type: 'notice', notice, me: me.id });
          dispatchChats({ type: 'chatRenamed', chatId, title, position });
          break;
        }
        case 'chat_closed':
          dispatchChats({ type: 'chatClosed', chatId: event.chatId, closedAt: event.closedAt, position: event.position });
          // A chat not listed yet shows it with the list's next snapshot.
          if (!latest.current.chatList.items.some((i) => i.id === event.chatId)) refreshChatsSoon();
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
          if (open !== null) {
            void loadConversation(open);
            if (latest.current.groups[open]) void loadGroup(open);
          }
          break;
        }
      }
    },
    [inChat, loadChats, loadConversation, loadGroup, refreshChatsSoon, me.id, isAdmin, dispatchTyping],
  );

  const connection = useEventStream({ start: streamStart, onEvent, onOpen: onStreamOpen, onSignedOut });

  const deliver = useCallback(
    async (chatId: number, key: string, content: string, replyToId: number | null, attachmentIds: number[]) => {
      try {
        const saved = await api.sendMessage(chatId, content, key, replyToId, attachmentIds);
        inChat(chatId, { type: 'sendSucceeded', key, message: saved });
        dispatchChats({
          type: 'ownMessageSaved',
          chatId,
          message: {
            id: saved.id,
            senderId: saved.sender_id,
            senderName: null,
            content: saved.content,
            createdAt: saved.created_at,
            type: messageType(saved.type, saved.attachments ?? []),
            attachments: saved.attachments ?? [],
          },
        });
      } catch (error) {
        inChat(chatId, { type: 'sendFailed', key, error: failed(error) });
        // An inquiry refuses messages once closed: its details say since when (the
        // `chat_closed` event may still be on its way, or long past for a chat of a later page).
        const item = latest.current.chatList.items.find((i) => i.id === chatId);
        if (error instanceof api.ApiError && error.status === 409 && item?.kind === 'inquiry' && item.closedAt === null) {
          api.chatDetails(chatId).then(
            (details) => {
              if (details.closed_at) dispatchChats({ type: 'chatClosed', chatId, closedAt: details.closed_at, position: null });
            },
            () => {}, // the message says why it was not sent; the event will tell the rest
          );
        }
      }
    },
    [inChat, failed],
  );

  const send = useCallback(
    (chatId: number, content: string, replyTo: ReplyRef | null, attachments: readonly api.Attachment[] = []) => {
      const key = pendingKey();
      const createdAt = new Date().toISOString();
      inChat(chatId, { type: 'sendStarted', key, senderId: me.id, content, createdAt, replyTo, attachments });
      void deliver(chatId, key, content, replyTo?.id ?? null, attachments.map((a) => a.id));
    },
    [inChat, deliver, me.id],
  );

  const retry = useCallback(
    (chatId: number, key: string) => {
      const pending = latest.current.conversations[chatId]?.pending.find((p) => p.key === key);
      if (!pending || pending.status !== 'failed') return;
      inChat(chatId, { type: 'retried', key });
      void deliver(chatId, key, pending.content, pending.replyTo?.id ?? null, pending.attachments.map((a) => a.id));
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

  /** Runs a group change; its answer (the group as it is now) is applied like a snapshot. */
  const manage = useCallback(
    async (change: () => Promise<api.ChatDetails | void>) => {
      const after = handledPosition.current;
      const requestedAt = Date.now();
      let details: api.ChatDetails | void;
      try {
        details = await change();
      } catch (error) {
        throw new Error(failed(error));
      }
      if (details) groupLoaded(details, after, requestedAt);
      return details;
    },
    [failed, groupLoaded],
  );

  const createGroup = useCallback(
    async (title: string, memberIds: number[]) => {
      const details = await manage(() => api.createGroup(title, memberIds));
      // The list shows it with its next snapshot (its events may come first: they wait for it).
      void loadChats('refresh');
      return details!.id;
    },
    [manage, loadChats],
  );

  const renameGroup = useCallback(
    async (chatId: number, title: string) => void (await manage(() => api.renameChat(chatId, title))),
    [manage],
  );
  const addMember = useCallback(
    async (chatId: number, userId: number) => void (await manage(() => api.addParticipant(chatId, userId))),
    [manage],
  );
  // The event that follows tells the list, the members and the conversation (also when we left).
  const removeMember = useCallback(
    async (chatId: number, userId: number) => void (await manage(() => api.removeParticipant(chatId, userId))),
    [manage],
  );

  return {
    chatList,
    conversations,
    openChatId,
    openChat,
    connection,
    typing,
    presence,
    groups,
    people,
    reloadChats: useCallback(() => void loadChats('replace'), [loadChats]),
    reloadConversation: useCallback((chatId: number) => void loadConversation(chatId), [loadConversation]),
    loadOlder: useCallback((chatId: number) => void loadOlder(chatId), [loadOlder]),
    send,
    retry,
    discard,
    remove,
    edit,
    setAtBottom,
    reloadGroup: useCallback((chatId: number) => void loadGroup(chatId), [loadGroup]),
    createGroup,
    renameGroup,
    addMember,
    removeMember,
    loadMore: useCallback(() => void loadMore(), [loadMore]),
    search,
    searchChats: useCallback((query: string) => void searchChats(query), [searchChats]),
  };
}
