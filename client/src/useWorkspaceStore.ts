// The state of a signed-in session, in one place: the reducers (chat list, conversations,
// typing, presence, groups, names met), which chat is open (the URL; a guest's one chat) and
// which one is being read. The hooks that load things (useChatLoading, useChatSearch), run the
// user's commands (useCommands) and follow the stream (useWorkspace) share it through `Store`:
// its dispatchers and helpers never change identity, and `latest` holds the state of the last
// render, for callbacks that outlive it.

import { type Dispatch, type RefObject, useCallback, useMemo, useReducer, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { hasCode, isUnauthorized } from './api';
import { chatListReducer, initialChatList } from './chats/chatList';
import type { ChatList, ChatListAction } from './chats/model';
import { errorText } from './errors';
import {
  type Groups,
  type GroupsAction,
  type KnownPerson,
  type People,
  groupsReducer,
  noGroups,
  noPeople,
  rememberPeople,
} from './groups';
import { guestChat } from './inquiry/inquiry';
import {
  type ConversationAction,
  type Conversations,
  type ConversationsAction,
  conversationsReducer,
} from './conversation/messages';
import { type PresenceAction, type PresenceMap, noPresence, presenceReducer } from './presence';
import { useOpenChat } from './route';
import { useSession } from './session/SessionContext';
import type { Typing, TypingAction } from './typing';
import { useLatest } from './useLatest';
import { usePageVisible } from './usePageVisible';
import { useTypingIndicators } from './useTyping';

export interface WorkspaceState {
  chatList: ChatList;
  conversations: Conversations;
  /** Who is typing where (never filled for admins). */
  typing: Typing;
  /** Who is online, for the people this session shows. */
  presence: PresenceMap;
  /** The members of the groups opened so far. */
  groups: Groups;
  /** Everyone whose name this session has seen, by id (senders of group messages). */
  people: People;
  openChatId: number | null;
  /** The chat being read now (open, tab visible, its newest messages on screen); never for admins. */
  readingChatId: number | null;
  /** Whether the tab is in front. */
  visible: boolean;
}

/** What the loaders, the commands and the stream's handler share; every member is stable. */
export interface Store {
  /** The state as of the last render. */
  latest: RefObject<WorkspaceState>;
  chats: Dispatch<ChatListAction>;
  conversations: Dispatch<ConversationsAction>;
  typing: Dispatch<TypingAction>;
  presence: Dispatch<PresenceAction>;
  groups: Dispatch<GroupsAction>;
  remember: Dispatch<readonly KnownPerson[]>;
  inChat: (chatId: number, action: ConversationAction) => void;
  /**
   * A failure in words for the person (the server's, else ours); a 401 signs out (a guest: ends
   * their visit); `account_suspended` has the suspension asked for (its banner says until when).
   */
  failed: (error: unknown) => string;
  /** The newest log position handled: a group's snapshot requested now shows everything up to it. */
  handledPosition: RefObject<number | null>;
}

export interface WorkspaceStore {
  state: WorkspaceState;
  store: Store;
  openChat: (chatId: number | null) => void;
  /** The open chat's list tells whether its newest messages are on screen. */
  setAtBottom: (chatId: number, atBottom: boolean) => void;
}

export function useWorkspaceStore(
  onSignedOut: (error: unknown) => void,
  onSuspended: () => void = () => {},
): WorkspaceStore {
  const { isAdmin, isGuest } = useSession();
  const [chatList, dispatchChats] = useReducer(chatListReducer, initialChatList);
  const [conversations, dispatchConversations] = useReducer(conversationsReducer, {});
  const [typing, dispatchTyping] = useTypingIndicators();
  const [presence, dispatchPresence] = useReducer(presenceReducer, noPresence);
  const [groups, dispatchGroups] = useReducer(groupsReducer, noGroups);
  const [people, remember] = useReducer(rememberPeople, noPeople);
  const [routeChatId, openRouteChat] = useOpenChat();
  // A guest has one chat, whatever the URL says (their page stays the link's).
  const openChatId = isGuest ? (guestChat(chatList.items)?.id ?? null) : routeChatId;
  const openChat = useCallback(
    (chatId: number | null) => (isGuest ? undefined : openRouteChat(chatId)),
    [isGuest, openRouteChat],
  );
  const visible = usePageVisible();
  const [bottom, setBottom] = useState<{ chatId: number; atBottom: boolean } | null>(null);
  const readingChatId =
    !isAdmin && visible && openChatId !== null && bottom?.chatId === openChatId && bottom.atBottom ? openChatId : null;
  const setAtBottom = useCallback((chatId: number, atBottom: boolean) => {
    setBottom((now) => (now?.chatId === chatId && now.atBottom === atBottom ? now : { chatId, atBottom }));
  }, []);

  const state: WorkspaceState = {
    chatList,
    conversations,
    typing,
    presence,
    groups,
    people,
    openChatId,
    readingChatId,
    visible,
  };
  const latest = useLatest(state);
  const { t } = useTranslation();
  const outside = useLatest({ t, onSignedOut, onSuspended });
  const handledPosition = useRef<number | null>(null);

  const store = useMemo<Store>(
    () => ({
      latest,
      chats: dispatchChats,
      conversations: dispatchConversations,
      typing: dispatchTyping,
      presence: dispatchPresence,
      groups: dispatchGroups,
      remember,
      inChat: (chatId, action) => dispatchConversations({ type: 'chat', chatId, action }),
      failed: (error) => {
        if (isUnauthorized(error)) outside.current.onSignedOut(error);
        if (hasCode(error, 'account_suspended')) outside.current.onSuspended();
        return errorText(error, outside.current.t);
      },
      handledPosition,
    }),
    [latest, outside, dispatchTyping],
  );
  return { state, store, openChat, setAtBottom };
}
