// Moving through a chat's history beyond its newest page (historyWindow.ts): opening a chat at
// a message (a search result), paging toward the present from there, and back to the newest.
// The workspace hands these to its components as they are: every member is stable.

import { useCallback } from 'react';

import type { ChatLoading } from './useChatLoading';
import type { Store } from './useWorkspaceStore';

export interface HistoryNavigation {
  /** Opens a chat at a message (a search result): its history around it, scrolled to it and marked. */
  openAt: (chatId: number, messageId: number) => void;
  /** The next newer page of a chat opened at a message (while newer messages exist). */
  loadNewer: (chatId: number) => void;
  /** From a chat opened at a message back to its newest messages. */
  jumpToLatest: (chatId: number) => void;
  /** The conversation has brought the message it was to focus into view (or found it gone). */
  focusDone: (chatId: number) => void;
}

export function useHistoryNavigation(
  store: Store,
  loading: Pick<ChatLoading, 'openAt' | 'loadNewer' | 'jumpToLatest'>,
  openChat: (chatId: number) => void,
): HistoryNavigation {
  const { inChat } = store;
  const { openAt: loadAt, loadNewer: newer, jumpToLatest: latest } = loading;
  // The conversation is asked for before the chat opens, so opening it does not ask for its newest page.
  const openAt = useCallback(
    (chatId: number, messageId: number) => {
      void loadAt(chatId, messageId);
      openChat(chatId);
    },
    [loadAt, openChat],
  );
  return {
    openAt,
    loadNewer: useCallback((chatId: number) => void newer(chatId), [newer]),
    jumpToLatest: useCallback((chatId: number) => void latest(chatId), [latest]),
    focusDone: useCallback((chatId: number) => inChat(chatId, { type: 'focusDone' }), [inChat]),
  };
}
