// Applies what `dispatch` (or `streamOpened`) decided, for useWorkspace: each reducer's actions
// to the store, then each effect (a request to make, a session to end, a chat to leave).

import { useCallback } from 'react';

import type { Moderation } from '../moderation/useModeration';
import type { ChatLoading } from '../useChatLoading';
import type { Store } from '../useWorkspaceStore';
import type { Effect, Outcome } from './outcome';

/** What runs the effects of moderation. */
export interface ModerationRun {
  moderation: Moderation;
  checkSuspension: () => void;
  closuresChanged: () => void;
}

/** Applies what `dispatch` (or `streamOpened`) decided: the reducers' actions, then the requests. */
export function useApply(
  store: Store,
  loading: ChatLoading,
  endSession: () => void,
  moderating: ModerationRun,
  openChat: (chatId: number | null) => void,
) {
  const { moderation, checkSuspension, closuresChanged } = moderating;
  const { loadChats, refreshChatsSoon, loadConversation, loadGroup, loadPresence } = loading;
  const { loadReports, dispatch: moderate } = moderation;
  const run = useCallback(
    (effect: Effect) => {
      switch (effect.type) {
        case 'refreshChats':
          return refreshChatsSoon();
        case 'reloadChats':
          return void loadChats('replace');
        case 'loadConversation':
          return void loadConversation(effect.chatId);
        case 'loadGroup':
          return void loadGroup(effect.chatId);
        case 'fetchPresence':
          return void loadPresence(effect.userIds);
        case 'endSession':
          return endSession();
        case 'checkSuspension':
          return checkSuspension();
        case 'reloadReports':
          loadReports('flags');
          return loadReports('open');
        case 'closeChat':
          return openChat(null);
        case 'closuresChanged':
          return closuresChanged();
      }
    },
    [
      loadChats,
      refreshChatsSoon,
      loadConversation,
      loadGroup,
      loadPresence,
      endSession,
      checkSuspension,
      loadReports,
      openChat,
      closuresChanged,
    ],
  );
  const apply = useCallback(
    (outcome: Outcome) => {
      outcome.conversations.forEach(store.conversations);
      outcome.chats.forEach(store.chats);
      outcome.groups.forEach(store.groups);
      outcome.typing.forEach(store.typing);
      outcome.presence.forEach(store.presence);
      if (outcome.people.length > 0) store.remember(outcome.people);
      outcome.moderation.forEach(moderate);
      outcome.effects.forEach(run);
    },
    [store, run, moderate],
  );
  return { apply, run };
}
