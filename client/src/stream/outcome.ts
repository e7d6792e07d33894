// What the stream's dispatch (dispatch.ts, dispatchModeration.ts) is given and what it
// answers: the tab's state when an event arrives, the reducer actions to apply and the effects
// (requests) to run. Types only, below both modules, so neither imports the other's types.

import type { ChatList, ChatListAction } from '../chats/model';
import type { Conversations, ConversationsAction } from '../conversation/messages';
import type { Groups, GroupsAction, KnownPerson, People } from '../groups';
import type { ModerationAction } from '../moderation/moderation';
import type { PresenceAction } from '../presence';
import type { TypingAction } from '../typing';

/** What this tab shows when an event arrives (the workspace's latest state). */
export interface DispatchState {
  me: number;
  isAdmin: boolean;
  /** A visitor of an inquiry link: their stream carries their one chat only. */
  isGuest: boolean;
  /** A parent or carer: reads their children's chats, keeps no read marker, writes nothing. */
  isGuardian: boolean;
  chatList: Pick<ChatList, 'items'>;
  conversations: Conversations;
  groups: Groups;
  /** Everyone whose name this tab knows. */
  people: People;
  openChatId: number | null;
  /** The chat being read right now (open, visible, at its bottom): its messages add no badge. */
  readingChatId: number | null;
  /** This tab's clock (ms since the epoch): when a live event arrived. */
  now: number;
}

/** A request to make: what the state cannot tell by itself. */
export type Effect =
  /** The list's first page again, soon (one request for a burst), merged with what is shown. */
  | { type: 'refreshChats' }
  /** The list loaded anew (after a reset), trusted over what is shown. */
  | { type: 'reloadChats' }
  | { type: 'loadConversation'; chatId: number }
  /** A group's details: its members with their presence. */
  | { type: 'loadGroup'; chatId: number }
  /** The presence of these people (`GET /api/presence/{id}`: an admin's open chat). */
  | { type: 'fetchPresence'; userIds: number[] }
  /** A guest's session is over (their chat closed): the stream closes for good, nothing more is asked. */
  | { type: 'endSession' }
  /** Whether our account is suspended now (`GET /api/me`). */
  | { type: 'checkSuspension' }
  /** An admin's reports again (after a reset). */
  | { type: 'reloadReports' }
  /** The open chat is no longer ours to read (a guardian unlinked from its student): back to the list. */
  | { type: 'closeChat' }
  /** Closure requests changed (made, declined): what shows them is read again. */
  | { type: 'closuresChanged' };

export interface Outcome {
  chats: ChatListAction[];
  conversations: ConversationsAction[];
  groups: GroupsAction[];
  typing: TypingAction[];
  presence: PresenceAction[];
  /** Names met, to remember (a group's senders are named by them). */
  people: KnownPerson[];
  /** An admin's moderation view (reports, people). */
  moderation: ModerationAction[];
  effects: Effect[];
}
