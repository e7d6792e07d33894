// The shapes of a conversation, at the bottom of its modules: what the server sends of a
// message (`WireMessage`), a message as shown (`Message`, with the quote it answers:
// `ReplyRef`), one being sent (`PendingMessage`), what the stream said of its edits and
// moderation (`Edit`, `Moderated`), a group's system lines (`Notice`), and one open
// conversation's state (`Conversation`). Types only: the reducer (messages.ts) and the modules
// it builds on (historyWindow.ts, knownMessages.ts, moderated.ts, quotes.ts) import them from
// here, so none of them needs another's types.

import type { Attachment, Hidden, MessageType, Purged, ReplyPreview } from '../api';
import type { components } from '../generated/api';
import type { Membership } from '../chats/model';
import type { Removal } from '../moderation/removal';
import type { Mention } from '../mentions/mentions';
import type { Reaction } from '../reactions/reactions';

export interface Message {
  id: number;
  senderId: number;
  content: string;
  createdAt: string;
  isEdited: boolean;
  editedAt: string | null;
  replyTo: ReplyRef | null;
  /** Who of the chat's other participants had read it when the history was read (`read_by`). */
  readBy: readonly number[];
  type: MessageType;
  /** Its files (none for a text message). */
  attachments: readonly Attachment[];
  /** A moderator hid it (participants: without its content; admins: with it). */
  hidden: Hidden | null;
  /** Its content was removed for good (for everyone). */
  purged: Purged | null;
  /** Its reactions, one per emoji (none shown while it is hidden, deleted or purged). */
  reactions: readonly Reaction[];
  /** Whom its text mentions, named as they are now (the newest edit's). */
  mentions: readonly Mention[];
}

export interface PendingMessage {
  /** Local key, stable across retries. */
  key: string;
  senderId: number;
  content: string;
  createdAt: string;
  replyTo: ReplyRef | null;
  /** The uploaded files it sends (sent again, the same ids, on a retry). */
  attachments: readonly Attachment[];
  status: 'sending' | 'failed';
  error: string | null;
}

/** The newest edit of a message seen so far. */
export interface Edit {
  content: string;
  editedAt: string;
  /** Whom the new text mentions (the server resolves an edit's again); absent: as it was. */
  mentions?: readonly Mention[];
}

/** A system line in a group's conversation: someone was added or removed (or left), or a new title. */
export interface Notice {
  /** The event's log position: its identity and its order. */
  position: number;
  kind: 'added' | 'removed' | 'renamed';
  /** Who was added or removed (null for a title). */
  userId: number | null;
  /** Who did it (`userId` themself: they joined or left), if the server says. */
  actorId: number | null;
  /** The new title (renamed only). */
  title: string | null;
  /** Shown after the saved message with this id or the last before it (0: before all); null
   * while the history is loading (then after its newest message). */
  afterId: number | null;
}

export interface Conversation {
  chatId: number;
  status: 'loading' | 'ready' | 'failed';
  error: string | null;
  /** Saved, visible messages, ascending by id, no duplicates. */
  messages: Message[];
  /** Own messages not yet saved, in the order they were written. */
  pending: PendingMessage[];
  /** Ids deleted while this conversation was loaded; they never come back. */
  deleted: ReadonlySet<number>;
  /** The newest edit seen per message id, loaded or not. */
  edits: ReadonlyMap<number, Edit>;
  /** What the stream said last of a message's moderation, per message id, loaded or not. */
  moderated: ReadonlyMap<number, Moderated>;
  /** Read markers seen on the stream: user id → the newest message id they have read. */
  readMarks: Readonly<Record<number, number>>;
  hasMore: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  /** Newer messages exist after the newest loaded: the window was opened at a message (historyWindow.ts). */
  hasNewer: boolean;
  loadingNewer: boolean;
  newerError: string | null;
  /** Live messages waiting for the window to reach the newest (saved ones, ascending by id). */
  beyond: readonly Message[];
  /** The window shown, by the number it was asked with (0: none asked yet). */
  window: number;
  /** A message to bring into view and mark once it is on screen. */
  focus: number | null;
  /** System lines of a group, ascending by position. */
  notices: Notice[];
  /** `left` or `removed` once a `participant_removed` for us arrived: read-only from then on. */
  membership: Membership;
  /** Its history could not be read (no network, nothing of it kept on this device): shown
   *  empty and writable all the same (the outbox keeps what is written), loaded when the
   *  event stream opens again (the server answers). */
  unavailable: boolean;
}

/** A message as the API and the event stream send it (the stream leaves out `read_by`). */
export interface WireMessage {
  id: number;
  sender_id: number;
  content: string;
  created_at: string;
  is_edited?: boolean;
  edited_at?: string | null;
  reply_to?: ReplyPreview | null;
  read_by?: readonly number[];
  /** Absent from servers before attachments (then derived from `attachments`, or `text`). */
  type?: string;
  attachments?: readonly Attachment[];
  /** Absent from servers before moderation: neither. */
  hidden?: Hidden | null;
  purged?: Purged | null;
  /** History's (the stream's messages carry none; `reaction_added` and `reaction_removed` follow). */
  reactions?: readonly WireReaction[];
  /** Absent from servers before mentions: none. */
  mentions?: readonly Mention[];
}

/** A message's reactions of one emoji, as history sends them. */
export type WireReaction = components['schemas']['Reaction'];

/** The message a reply quotes. */
export interface ReplyRef {
  id: number;
  /** Null when the quoted message is unavailable to us. */
  senderId: number | null;
  /** The start of its text as it is now; null once it is deleted (or unavailable). */
  preview: string | null;
  isDeleted: boolean;
  /** Written before we joined: the server shows us only that it exists. */
  unavailable?: boolean;
  /** A moderator hid it, or its content was purged: a placeholder instead of its text. */
  removed?: Removal;
}

/** A message's content as shown, which unhiding it brings back. */
export type Shown = Pick<Message, 'content' | 'attachments' | 'type' | 'isEdited' | 'editedAt' | 'mentions'>;

/** What the stream said last of a message's moderation (moderated.ts applies it). */
export type Moderated =
  | { kind: 'hidden'; hidden: Hidden; keepContent: boolean }
  | { kind: 'unhidden'; shown: Shown }
  | { kind: 'purged'; purged: Purged };
