// Everything the workspace fetches, applied to its store: the chat list (a full load, a refresh
// soon after a burst of reasons, the next page), a conversation and its older pages, a group's
// members, and the presence of an admin's open chat. Each request's answer goes to the reducers
// with what orders it: the list's log position, the presence request's start, and for a group
// the newest position handled when it was asked.

import { useCallback, useEffect, useRef, useState } from 'react';

import * as api from './api';
import { type FetchedChats, fetchChats } from './fetchChats';
import { olderCursor } from './messages';
import { membersPresence } from './presence';
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
  loadConversation: (chatId: number) => Promise<void>;
  loadOlder: (chatId: number) => Promise<void>;
  loadGroup: (chatId: number) => Promise<void>;
  /** A group's snapshot, from a request sent when the log was handled up to `after`. */
  groupLoaded: (details: api.ChatDetails, after: number | null, requestedAt: number) => void;
  /** The presence of these people (`GET /api/presence/{id}` each). */
  loadPresence: (userIds: readonly number[]) => Promise<void>;
  /** A page's or a search's presence and names, as with the first page. */
  absorb: (fetched: FetchedChats, requestedAt: number) => void;
}

export function useChatLoading(store: Store, isAdmin: boolean): ChatLoading {
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

  const loadConversation = useCallback(
    async (chatId: number) => {
      store.conversations({ type: 'opened', chatId });
      try {
        const { data } = await api.messages(chatId);
        inChat(chatId, { type: 'snapshot', messages: data.messages, hasMore: data.has_more });
      } catch (error) {
        inChat(chatId, { type: 'loadFailed', error: failed(error) });
      }
    },
    [store, inChat, failed],
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
    loadGroup,
    groupLoaded,
    loadPresence,
    absorb,
  };
}
