// Server state of a signed-in session: the chat list, the conversations opened so far, and the
// live stream that keeps both current. Components get the state and a few actions. The parts:
// the state and its reducers (useWorkspaceStore), where each stream event goes (dispatch.ts,
// pure), what is fetched (useChatLoading, useChatSearch) and what the user does (useCommands);
// this hook wires them: it applies what `dispatch` returns and runs its effects (useApply), and loads
// what comes into view.
//
// Reading: a chat is read while open, the tab visible and its newest messages on screen, and
// useReadMarker moves our marker then (never an admin's or a guardian's). Presence is fetched
// anew as the stream opens (`streamOpened`); admins see a chat's two people's, all a group's.
//
// Who asks what (the server refuses the rest; client/README.md says it role by role): guests
// use exactly their chat, and their session ends with it (`chat_closed`) or their credential
// (a 401): the stream closes for good, the screen stays read-only (`ended`). Guardians read
// their children's direct chats (list, history, stream) and write nothing; `guardian_linked`
// and `guardian_unlinked` reload the list. Participants ask whether they are suspended
// (useSuspension); admins keep a moderation view (useModeration). Quiet hours: a teacher's
// held messages (useHeldMessages) show in their chat until a `new_message` delivers them; so
// do the messages we scheduled (useScheduledMessages) until they are sent.
// Search: useChatSearch, useMessageSearch (results open a chat at a message: useHistoryNavigation).
// Pins: the open chat's bar reads them (pins/usePins.ts) again on the stream's news (`pinsNews`).

import { useCallback, useEffect, useState } from 'react';

import type * as api from './api';
import { needsRefetch } from './chats/chatList';
import type { ChatList } from './chats/model';
import type { Conversations } from './conversation/messages';
import { dispatch, streamOpened } from './stream/dispatch';
import { type StreamEvent, isLogEvent } from './stream/events';
import type { Groups, People } from './groups';
import { type GuestEnd, guestEndOf } from './inquiry/inquiry';
import type { PresenceMap } from './presence';
import { useSession } from './session/SessionContext';
import type { Typing } from './typing';
import { useChatLoading } from './useChatLoading';
import { type ChatSearch, useChatSearch } from './useChatSearch';
import { type Commands, useCommands } from './useCommands';
import { type HistoryNavigation, useHistoryNavigation } from './useHistoryNavigation';
import { type MessageSearchControl, useMessageSearch } from './search/useMessageSearch';
import { changesUnread, titleUnread } from './unread';
import { changesPins } from './pins/pins';
import { useApply } from './stream/useApply';
import { type Connection, useEventStream } from './stream/useEventStream';
import { type Moderation, useModeration } from './moderation/useModeration';
import { type HeldControl, useHeldMessages } from './quiet/useHeldMessages';
import { type ScheduledControl, useScheduledMessages } from './scheduled/useScheduledMessages';
import { useReadMarker } from './useReadMarker';
import { useSuspension } from './moderation/useSuspension';
import { useUnreadTotal } from './useUnreadTotal';
import { useWorkspaceStore } from './useWorkspaceStore';

export type { ChatSearch } from './useChatSearch';

export interface Workspace extends Commands, HistoryNavigation {
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
  /** The open chat's list tells whether its newest messages are on screen. */
  setAtBottom: (chatId: number, atBottom: boolean) => void;
  /** Fetches a group's members again. */
  reloadGroup: (chatId: number) => void;
  /** Asks for the list's next page (if there is one and it is not on its way). */
  loadMore: () => void;
  /** What the server search found for the search box's text (blank: none asked). */
  search: ChatSearch;
  /** Asks the server for the chats matching `query` (blank: forget the search). */
  searchChats: (query: string) => void;
  /** The inbox's search of messages (a result opens with `openAt`). */
  messageSearch: MessageSearchControl;
  /** A guest's session is over, and how (never for signed-in users: a 401 signs them out). */
  ended: GuestEnd | null;
  /** The title's total unread: the server's (GET /api/unread-count), a guest's one chat, none for admins. */
  unread: number;
  /** Our account's suspension while it holds (writes are refused); never for admins. */
  suspension: api.Suspension | null;
  /** An admin's reports and people, and what they do with them (empty for anyone else). */
  moderation: Moderation;
  /** Messages quiet hours hold: a teacher's own, an admin's everyone's (once asked for). */
  held: HeldControl;
  /** Messages we scheduled (never an admin's, a guardian's or a guest's). */
  scheduled: ScheduledControl;
  /** Counts the stream's news of closure requests (made, declined): their views reload on it. */
  closures: number;
  /** Counts the stream's news of pins (`changesPins`): the open chat's pinned bar reads them again on it. */
  pinsNews: number;
}

/** The workspace of the person signed in (`useSession`). */
export function useWorkspace(onSignedOut: () => void): Workspace {
  const { me, isAdmin, isGuest, isGuardian } = useSession();
  const [ended, setEnded] = useState<GuestEnd | null>(null);
  // A 401: a signed-in user is signed out; a guest's page stays, ended (the first reason kept).
  const signedOut = useCallback(
    (error?: unknown) => (isGuest ? setEnded((now) => now ?? guestEndOf(error) ?? 'expired') : onSignedOut()),
    [isGuest, onSignedOut],
  );
  const endSession = useCallback(() => setEnded((now) => now ?? 'closed'), []);
  const { suspension, recheck: checkSuspension } = useSuspension();
  const { state, store, openChat, setAtBottom } = useWorkspaceStore(signedOut, checkSuspension);
  const { chatList, openChatId } = state;
  const { latest } = store;
  const loading = useChatLoading(store);
  const { loadChats, refreshChatsSoon, loadConversation, loadOlder, loadGroup, loadPresence, loadMore } = loading;
  const [search, searchChats] = useChatSearch(store, loading.absorb);
  const held = useHeldMessages(openChatId, store.failed);
  const scheduled = useScheduledMessages(openChatId, store.failed);
  const commands = useCommands(store, loading, held.held, state.conversations);
  const navigation = useHistoryNavigation(store, loading, openChat);
  const messageSearch = useMessageSearch(store.failed);
  const moderation = useModeration(store);
  const [closures, setClosures] = useState(0);
  const closuresChanged = useCallback(() => setClosures((n) => n + 1), []);
  const [pinsNews, setPinsNews] = useState(0);
  const { apply, run } = useApply(store, loading, endSession, { moderation, checkSuspension, closuresChanged }, openChat);
  const { count: serverUnread, refreshSoon: refreshUnreadSoon } = useUnreadTotal(store.failed);

  useEffect(() => {
    void loadChats('replace');
  }, [loadChats]);

  useEffect(() => {
    if (openChatId !== null && !latest.current.conversations[openChatId]) void loadConversation(openChatId);
  }, [openChatId, latest, loadConversation]);

  // An unread count only the server can tell (after a partial read). Not after a failed load:
  // that waits for "Try again" instead of asking again and again.
  useEffect(() => {
    if (chatList.status === 'ready' && needsRefetch(chatList)) refreshChatsSoon();
  }, [chatList, refreshChatsSoon]);

  const { readingChatId, conversations, visible } = state;
  const openItem = chatList.items.find((i) => i.id === openChatId);
  // Guardians keep no read marker in their children's chats (the server refuses them one), only
  // in the chats they are members of: their own family chats with teachers, the school's
  // announcements to families.
  const readingItem = chatList.items.find((i) => i.id === readingChatId);
  const reading = isGuardian && (!readingItem || readingItem.ward) ? null : readingChatId;
  useReadMarker({ readingChatId: reading, conversations, chatList, dispatchChats: store.chats, visible });
  // Admins: the open chat's two people, asked when it opens (a group's members come with it).
  const openPeople = isAdmin && openItem && openItem.kind !== 'group' ? openItem.people.map((p) => p.id).join(',') : '';
  useEffect(() => {
    if (openPeople !== '') void loadPresence(openPeople.split(',').map(Number));
  }, [openPeople, loadPresence]);

  // An open group's members (with their presence), once per group; the events keep them current.
  const openGroup = openItem?.kind === 'group' && openItem.membership === 'member' ? openItem.id : null;
  useEffect(() => {
    if (openGroup !== null && !latest.current.groups[openGroup]?.details) void loadGroup(openGroup);
  }, [openGroup, latest, loadGroup]);

  const { received: heldReceived } = held;
  const { received: scheduledReceived } = scheduled;
  const onStreamOpen = useCallback(
    () => streamOpened({ isAdmin, ...latest.current }).forEach(run),
    [isAdmin, latest, run],
  );

  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (isLogEvent(event)) store.handledPosition.current = event.position;
      if (changesUnread(event, me.id, latest.current.readingChatId)) refreshUnreadSoon();
      if (changesPins(event)) setPinsNews((n) => n + 1);
      const outcome = dispatch(event, { ...latest.current, me: me.id, isAdmin, isGuest, isGuardian, now: Date.now() });
      apply(outcome);
      if (event.type === 'new_message') {
        heldReceived(event.chatId, event.message);
        scheduledReceived(event.chatId, event.message);
      }
      // The stream closes at once: the server ends it next, and a reconnect would be refused.
      return outcome.effects.some((effect) => effect.type === 'endSession') ? 'end' : undefined;
    },
    [store, latest, apply, me.id, isAdmin, isGuest, isGuardian, refreshUnreadSoon, heldReceived, scheduledReceived],
  );

  const streamStart = ended === null ? loading.streamStart : null;
  const stream = useEventStream({ start: streamStart, onEvent, onOpen: onStreamOpen, onSignedOut: signedOut });
  const connection = ended === null ? stream : 'ended';

  const { typing, presence, groups, people } = state;
  return {
    chatList,
    conversations,
    openChatId,
    typing,
    presence,
    groups,
    people,
    ...commands,
    ...navigation,
    openChat,
    connection,
    setAtBottom,
    reloadChats: useCallback(() => void loadChats('replace'), [loadChats]),
    reloadConversation: useCallback((chatId: number) => void loadConversation(chatId), [loadConversation]),
    loadOlder: useCallback((chatId: number) => void loadOlder(chatId), [loadOlder]),
    reloadGroup: useCallback((chatId: number) => void loadGroup(chatId), [loadGroup]),
    loadMore: useCallback(() => void loadMore(), [loadMore]),
    search,
    searchChats: useCallback((query: string) => void searchChats(query), [searchChats]),
    messageSearch,
    ended,
    unread: titleUnread(me.role, serverUnread, chatList),
    suspension,
    moderation,
    held,
    scheduled,
    closures,
    pinsNews,
  };
}
