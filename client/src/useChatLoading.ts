// Everything the workspace fetches, applied to its store: the chat list (a full load, a refresh
// soon after a burst of reasons, the next page), a conversation and its older pages, a group's
// members, and the presence of an admin's open chat. Each request's answer goes to the reducers
// with what orders it: the list's log position, the presence request's start, for a group the
// newest position handled when it was asked, and for a conversation's pages the window they
// are for (historyWindow.ts: the newest page, or the one around a message, with its newer pages).

import { useCallback, useEffect, useRef, useState } from 'react';

import * as api from './api';
import { conversationKey, readThrough } from './offline/cache';
import { type FetchedChats, fetchChats } from './fetchChats';
import { isLoaded, newerCursor } from './conversation/historyWindow';
import { olderCursor } from './conversation/queries';
import { membersPresence } from './presence';
import { useSession } from './session/SessionContext';
import type { Store } from './useWorkspaceStore';

export interface ChatLoading {
  /** Where the stream starts: null until the first list snapshot, then after its position. */
  streamStart: { after: number | null } | null;
  /** The list's first page: `replace` trusts it, `refresh` merges it with what is shown. */
  loadChats: (mode: 'replace' | 'refresh') => Promise<void>;
  /** The list again in a moment: one request for a burst of deletions, partial reads, events. */
  refreshChatsSoon: () => void;
  /** Asks for the list's next page (if there is one and it is not on its way). */
  loadMore: () => Promise<void>;
  /** The newest page of a chat's history (shown in place of what is there once it arrives). */
  loadConversation: (chatId: number) => Promise<void>;
  loadOlder: (chatId: number) => Promise<void>;
  /** The next newer page of a window opened at a message, while newer messages exist. */
  loadNewer: (chatId: number) => Promise<void>;
  /** Shows a chat's history at `messageId` (around it, unless it is on screen already) and marks it. */
  openAt: (chatId: number, messageId: number) => Promise<void>;
  /** Replaces a window opened at a message with the newest page. */
  jumpToLatest: (chatId: number) => Promise<void>;
  loadGroup: (chatId: number) => Promise<void>;
  /** A group's snapshot, from a request sent when the log was handled up to `after`. */
  groupLoaded: (details: api.ChatDetails, after: number | null, requestedAt: number) => void;
  /** The presence of these people (`GET /api/presence/{id}` each). */
  loadPresence: (userIds: readonly number[]) => Promise<void>;
  /** A page's or a search's presence and names, as with the first page. */
  absorb: (fetched: FetchedChats, requestedAt: number) => void;
}

export function useChatLoading(store: Store): ChatLoading {
  const { isAdmin } = useSession();
  const { latest, failed, inChat } = store;
  const [streamStart, setStreamStart] = useState<{ after: number | null } | null>(null);

  const loadChats = useCallback(
    async (mode: 'replace' | 'refresh') => {
      const requestedAt = Date.now();
      try {
        const { items, position, nextCursor, presence, people } = await fetchChats(isAdmin);
        store.chats({ type: 'snapshot', items, position: position ?? 0, mode, nextCursor });
        store.presence({ type: 'snapshot', users: presence, requestedAt });
        store.remember(people);
        setStreamStart((start) => start ?? { after: position });
      } catch (error) {
        store.chats({ type: 'loadFailed', error: failed(error) });
      }
    },
    [store, isAdmin, failed],
  );

  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refreshChatsSoon = useCallback(() => {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => void loadChats('refresh'), 250);
  }, [loadChats]);
  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  const absorb = useCallback(
    (fetched: FetchedChats, requestedAt: number) => {
      store.presence({ type: 'snapshot', users: fetched.presence, requestedAt });
      store.remember(fetched.people);
    },
    [store],
  );

  const loadMore = useCallback(async () => {
    const { nextCursor: cursor, more, status } = latest.current.chatList;
    if (status !== 'ready' || cursor === null || more.status === 'loading') return;
    store.chats({ type: 'pageRequested', cursor });
    const requestedAt = Date.now();
    try {
      const fetched = await fetchChats(isAdmin, { cursor });
      const { items, position, nextCursor } = fetched;
      store.chats({ type: 'pageLoaded', cursor, items, position: position ?? 0, nextCursor });
      absorb(fetched, requestedAt);
    } catch (error) {
      store.chats({ type: 'pageFailed', cursor, error: failed(error) });
    }
  }, [store, latest, isAdmin, failed, absorb]);

  // Each window asked for has a number of its own: answers for another are dropped.
  const windows = useRef(0);

  /** A page that replaces what is shown: the newest (`around` null), or the one around a message. */
  const loadWindow = useCallback(
    async (chatId: number, around: number | null, jump: boolean) => {
      const window = ++windows.current;
      store.conversations({ type: 'opened', chatId });
      inChat(chatId, jump ? { type: 'windowRequested', window, focus: around } : { type: 'reloadRequested', window });
      try {
        // The newest page is kept on this device, and read from there without a network (offline/).
        const { data } =
          around === null
            ? await readThrough(conversationKey(chatId), () => api.messages(chatId))
            : await api.messages(chatId, { around });
        const hasNewer = data.has_newer ?? false;
        inChat(chatId, { type: 'snapshot', messages: data.messages, hasMore: data.has_more, hasNewer, window });
      } catch (error) {
        // No network and nothing kept: the conversation opens empty, to be written to (the
        // outbox keeps it) and loaded when the stream opens again (streamOpened).
        if (around === null && error instanceof TypeError) inChat(chatId, { type: 'unavailable', window });
        else inChat(chatId, { type: 'loadFailed', error: failed(error), window });
      }
    },
    [store, inChat, failed],
  );

  const loadConversation = useCallback((chatId: number) => loadWindow(chatId, null, false), [loadWindow]);
  const jumpToLatest = useCallback((chatId: number) => loadWindow(chatId, null, true), [loadWindow]);
  const openAt = useCallback(
    async (chatId: number, messageId: number) => {
      if (isLoaded(latest.current.conversations[chatId], messageId)) {
        inChat(chatId, { type: 'focused', messageId });
        return;
      }
      await loadWindow(chatId, messageId, true);
    },
    [latest, inChat, loadWindow],
  );

  const olderInFlight = useRef(new Set<number>());
  const loadOlder = useCallback(
    async (chatId: number) => {
      const conversation = latest.current.conversations[chatId];
      const before = conversation ? olderCursor(conversation) : null;
      if (!conversation || before === null || olderInFlight.current.has(chatId)) return;
      const { window } = conversation;
      olderInFlight.current.add(chatId);
      inChat(chatId, { type: 'olderRequested' });
      try {
        const { data } = await api.messages(chatId, { beforeId: before });
        inChat(chatId, { type: 'olderLoaded', messages: data.messages, hasMore: data.has_more, window });
      } catch (error) {
        inChat(chatId, { type: 'olderFailed', error: failed(error), window });
      } finally {
        olderInFlight.current.delete(chatId);
      }
    },
    [latest, inChat, failed],
  );

  const newerInFlight = useRef(new Set<number>());
  const loadNewer = useCallback(
    async (chatId: number) => {
      const conversation = latest.current.conversations[chatId];
      const after = conversation ? newerCursor(conversation) : null;
      if (!conversation || after === null || newerInFlight.current.has(chatId)) return;
      const { window } = conversation;
      newerInFlight.current.add(chatId);
      inChat(chatId, { type: 'newerRequested' });
      try {
        const { data } = await api.messages(chatId, { afterId: after });
        inChat(chatId, { type: 'newerLoaded', messages: data.messages, hasNewer: data.has_newer ?? false, window });
      } catch (error) {
        inChat(chatId, { type: 'newerFailed', error: failed(error), window });
      } finally {
        newerInFlight.current.delete(chatId);
      }
    },
    [latest, inChat, failed],
  );

  const groupLoaded = useCallback(
    (details: api.ChatDetails, after: number | null, requestedAt: number) => {
      store.groups({ type: 'loaded', details, after });
      store.presence({ type: 'snapshot', users: membersPresence(details), requestedAt });
      store.remember(details.participants);
    },
    [store],
  );

  const loadGroup = useCallback(
    async (chatId: number) => {
      const after = store.handledPosition.current;
      const requestedAt = Date.now();
      try {
        groupLoaded(await api.chatDetails(chatId), after, requestedAt);
      } catch (error) {
        failed(error); // the members panel offers to try again
      }
    },
    [store, groupLoaded, failed],
  );

  const loadPresence = useCallback(
    async (userIds: readonly number[]) => {
      await Promise.all(
        userIds.map(async (userId) => {
          const requestedAt = Date.now();
          try {
            const { data } = await api.presence(userId);
            const users = [{ userId, online: data.online, lastSeen: data.last_seen ?? null }];
            store.presence({ type: 'snapshot', users, requestedAt });
          } catch (error) {
            if (api.isUnauthorized(error)) failed(error); // otherwise presence just stays unknown
          }
        }),
      );
    },
    [store, failed],
  );

  return {
    streamStart,
    loadChats,
    refreshChatsSoon,
    loadMore,
    loadConversation,
    loadOlder,
    loadNewer,
    openAt,
    jumpToLatest,
    loadGroup,
    groupLoaded,
    loadPresence,
    absorb,
  };
}
