// The shapes of the chat list (chatList.ts's reducer): one chat as listed (`ChatItem`, with
// its last message), the list with its paging, and what changes it (`ChatListAction`). Types
// only.

import type { Attachment, ChatContext, ChatKind, MessageType, Person } from '../api';
import type { Removal } from '../moderation/removal';

/** Whether we are still a member of a chat: `left` and `removed` after its `participant_removed` for us. */
export type Membership = 'member' | 'left' | 'removed';

export interface ChatItem {
  id: number;
  kind: ChatKind;
  /** A group's or an inquiry's title (null for a direct chat). */
  title: string | null;
  /** What the chat is about (the inbox groups chats by its title). */
  context: ChatContext | null;
  /**
   * A direct chat's pair's lesson subjects, the most recent lesson's first (empty for other
   * chats): the inbox groups a direct chat by its first, as a group by its context.
   */
  subjects: string[];
  /** A family chat's children: whom the guardian and the teacher talk about (none: read-only). */
  children: string[];
  /** Who created, and so owns, a group. */
  createdBy: number | null;
  /**
   * Participants: the other participant of a direct chat (nobody for a group: its members are
   * fetched with the group). Admins: the chat's current members.
   */
  people: Person[];
  /** Current members (2 in a direct chat). */
  participantsCount: number;
  /** Participants only: the newest visible message. */
  lastMessage: LastMessage | null;
  lastActivityAt: string | null;
  unread: number;
  /** Participants only: our read marker, the newest message id we have read (0: none). */
  lastReadId: number;
  /** `unread` is known to be out of date (a partial read): the list should be fetched again. */
  unreadStale: boolean;
  /** Admins only: the number of visible messages. */
  messagesCount: number | null;
  /** Participants: whether we are still a member (a group can drop us). */
  membership: Membership;
  /** When the server closed this inquiry (read-only since); null while open. */
  closedAt: string | null;
  /** Why it closed, when this session saw it close (`chat_closed`'s reason: idle, revoked,
   * blocked, guardian_request); absent when only a snapshot said it is closed. */
  closedReason?: string;
  /** A direct chat whose student has a guardian linked now (its header tells its members so). */
  guardiansRead: boolean;
  /** A direct chat whose teacher left the school: read-only until the school hands it over. */
  teacherDeparted?: boolean;
  /** Participants: the other participant left the school (a departed student's chat is archived). */
  participantDeparted?: boolean;
  /** An announcement: only its owner (`createdBy`) posts; the other members read. */
  announcement?: boolean;
  /** A guardian's view: the child whose chat this is (`people` holds the teacher); null for everyone else. */
  ward: Person | null;
  /** Participants: we muted it (no push or webhook notice; unread still counts). */
  muted: boolean;
  /**
   * Participants: we archived it and no message came since: it is out of the inbox (the list
   * hides it; its next message brings it back).
   */
  archived: boolean;
  /** A guardian's view of a group: they read only the ward's own messages there. */
  wardOnly: boolean;
  /** Log position of the newest event applied to this item; 0 when it only comes from a snapshot. */
  position: number;
}

export interface LastMessage {
  id: number;
  senderId: number;
  /** In a group: the sender's name, if known (the preview says "Name: text"). */
  senderName: string | null;
  /** May be empty for a file or image message (the preview then says what it carries). */
  content: string;
  createdAt: string;
  /** Absent: `text` (a server before attachments). */
  type?: MessageType;
  /** The names of its files, when known (live messages; the list's snapshot has only the type). */
  attachments?: readonly Pick<Attachment, 'name'>[] | null;
  /** A moderator hid it, or its content was purged: the line says so instead of its text. */
  removed?: Removal | null;
}

export interface ChatList {
  status: 'loading' | 'ready' | 'failed';
  error: string | null;
  items: ChatItem[];
  /** Where the next page starts (the last page's `next_cursor`); null once every chat is loaded. */
  nextCursor: string | null;
  /** The next page: on its way, or failed (with why). */
  more: { status: 'idle' } | { status: 'loading' } | { status: 'failed'; error: string };
}

export type ChatListAction =
  /**
   * The first page. `replace` trusts it (first load, after a reset); `refresh` merges it with
   * what the stream already applied and the pages loaded after it. `nextCursor`: where the
   * next page starts (none: this was all); a refresh keeps the cursor of the full load.
   */
  | { type: 'snapshot'; items: ChatItem[]; position: number; mode: 'replace' | 'refresh'; nextCursor?: string | null }
  | { type: 'loadFailed'; error: string }
  /** The page that starts at `cursor` was asked for. */
  | { type: 'pageRequested'; cursor: string }
  /** The page that starts at `cursor` (ignored if the list was loaded anew meanwhile). */
  | { type: 'pageLoaded'; cursor: string; items: ChatItem[]; position: number; nextCursor: string | null }
  | { type: 'pageFailed'; cursor: string; error: string }
  /** Chats a server search found: merged into the list like a page, the cursor untouched. */
  | { type: 'found'; items: ChatItem[]; position: number }
  /**
   * `chat_closed` at `position`; or (position null) what the server said when we sent to it
   * (a 409, then its details): the chat is read-only from `closedAt`.
   */
  | { type: 'chatClosed'; chatId: number; closedAt: string; position: number | null; reason?: string }
  | { type: 'chatCreated'; item: ChatItem; position: number }
  | {
      type: 'newMessage';
      chatId: number;
      message: LastMessage;
      position: number;
      me: number;
      /** The chat this tab is reading now (open, visible, scrolled to the bottom): no badge. */
      readingChatId: number | null;
      /** We keep no read marker (a guardian): nothing is counted unread. */
      unmarked?: boolean;
    }
  /** Our own message was saved (the POST answer): show it as the latest, counters untouched. */
  | { type: 'ownMessageSaved'; chatId: number; message: LastMessage }
  /** A message's text changed: the preview follows if it is the latest. */
  | { type: 'messageEdited'; chatId: number; messageId: number; content: string }
  /** Messages hidden or purged: the preview says so if one is the latest. */
  | { type: 'messagesRemoved'; chatId: number; messageIds: readonly number[]; removal: Removal }
  /** A message unhidden: the preview shows it again if it is the latest. */
  | { type: 'messageRestored'; chatId: number; message: Pick<LastMessage, 'id' | 'content' | 'type' | 'attachments'> }
  /**
   * Our read marker moved to `upTo`: marked by this tab (position null), or `messages_read`
   * for us at `position` (from any of our tabs).
   */
  | { type: 'read'; chatId: number; upTo: number; position: number | null }
  /** `participant_added`: `user` joined the group (`me`: we did, and the list is fetched again). */
  | { type: 'participantAdded'; chatId: number; user: Person; position: number; me: number }
  /** `participant_removed`: `userId` left (`actorId` is them) or was removed. */
  | { type: 'participantRemoved'; chatId: number; userId: number; actorId: number | null; position: number; me: number }
  | { type: 'chatRenamed'; chatId: number; title: string; position: number }
  /** Our own setting of the chat changed (any tab): `chat_muted`, `chat_archived`, … at `position`. */
  | { type: 'setting'; chatId: number; muted?: boolean; archived?: boolean; position: number };
