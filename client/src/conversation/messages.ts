// The state of one open conversation, as a pure reducer: the saved messages (by id, which is
// also their order), the messages being sent (optimistic, keyed by a local key), and the ids
// known to be deleted. Events can arrive in any order relative to the HTTP answers — the
// stream's echo of our own message before or after the POST answer, a deletion before the
// snapshot that still contains the message, an edit before the message itself — and every
// action is idempotent, so the result is the same whatever the order.
//
// Edits and deletions are remembered by id (like `deleted`, `edits` keeps the newest edit
// seen), so a message that arrives after its edit — a POST answer, an older page, a snapshot
// read before the edit — is shown as edited, and so are the quotes of it in replies (the
// server computes a reply's preview when history is read; keeping it current live is ours).
// Read receipts: `readMarks` are the other participants' read markers seen on the stream,
// which cover messages that arrived without (or before) their `read_by`.
//
// Groups: system lines ("Иван Петров added Мария Иванова", a new title) come from the live
// membership and title events (`notices`); the history does not contain them, so a reload
// shows none of the earlier ones. Each is shown after the newest message loaded when its event
// arrived (events come in log order). A `participant_removed` for us ends the conversation
// (`membership`): it stays on screen, read-only, and the server sends nothing more of it.
//
// Attachments: a message carries the files uploaded for it (`attachments`, its `type` says
// whether they are all images); its text may then be empty. A pending message shows the files
// it sends, and its retry sends the same ones.
//
// Reactions: a loaded message's follow `reaction_added` and `reaction_removed` (reacted.ts); a
// message loaded later comes with them.
//
// Moderation: a message may be hidden by a moderator (`hidden`) or have its content removed
// for good (`purged`). What the stream says of it is remembered by id (`moderated`, applied
// like the edits: moderated.ts), and the quotes of it follow.
//
// Which part of the history is shown (the newest page, or a window opened at a message, with
// what arrives live waiting beyond it) is historyWindow.ts's; how a message is shown from
// what is known of it, knownMessages.ts's.

// The shapes are model.ts's; what the screen asks of a conversation (its rows, read receipts,
// the cursor for older pages), queries.ts's; the limits of a message being written, compose.ts's.

import type { Attachment, Hidden, Purged } from '../api';
import { type WindowAction, isCurrent, windowReducer, withLive } from './historyWindow';
import { editOf, isNewer, known, mergeMessages, shownOf, withKnown } from './knownMessages';
import type { Conversation, Message, Moderated, Notice, PendingMessage, ReplyRef, WireMessage } from './model';
import { quoteWithKnown } from './quotes';
import type { Emoji } from '../reactions/reactions';
import { reactedIn } from './reacted';

export type ConversationAction =
  /** The window's pages and jumps (historyWindow.ts): a snapshot is the newest page, or the one around a message. */
  | WindowAction
  | { type: 'loadFailed'; error: string; window?: number }
  /** The newest page could not be read without a network, and none is kept on the device. */
  | { type: 'unavailable'; window?: number }
  | { type: 'olderRequested' }
  | { type: 'olderLoaded'; messages: WireMessage[]; hasMore: boolean; window?: number }
  | { type: 'olderFailed'; error: string; window?: number }
  | { type: 'received'; message: WireMessage }
  | { type: 'deleted'; id: number }
  /** A message's new text: `message_edited` or the answer to our PUT. */
  | { type: 'edited'; message: WireMessage }
  /** `message_hidden`: participants lose its content (`keepContent`: admins keep it, marked). */
  | { type: 'hidden'; id: number; hidden: Hidden; keepContent: boolean }
  /** `message_unhidden` (or our own unhide's answer): the message as it is now. */
  | { type: 'unhidden'; message: WireMessage }
  /** `messages_purged`: their content is gone for good. */
  | { type: 'purged'; ids: readonly number[]; purged: Purged }
  /** `reaction_added` (`added`) or `reaction_removed`: `userId`'s `emoji` on message `id`. */
  | { type: 'reacted'; id: number; emoji: Emoji; userId: number; added: boolean }
  /** `messages_read`: `userId` has read everything up to `upTo`. */
  | { type: 'readBy'; userId: number; upTo: number }
  /** A membership or title event of a group; `me` tells whether it is about us. */
  | { type: 'notice'; notice: Omit<Notice, 'afterId'>; me: number }
  | {
      type: 'sendStarted';
      key: string;
      senderId: number;
      content: string;
      createdAt: string;
      replyTo: ReplyRef | null;
      attachments?: readonly Attachment[];
    }
  | { type: 'sendSucceeded'; key: string; message: WireMessage }
  | { type: 'sendFailed'; key: string; error: string }
  | { type: 'retried'; key: string }
  | { type: 'discarded'; key: string };

export function emptyConversation(chatId: number): Conversation {
  return {
    chatId,
    status: 'loading',
    error: null,
    messages: [],
    pending: [],
    deleted: new Set(),
    edits: new Map(),
    moderated: new Map(),
    readMarks: {},
    hasMore: false,
    loadingOlder: false,
    olderError: null,
    hasNewer: false,
    loadingNewer: false,
    newerError: null,
    beyond: [],
    window: 0,
    focus: null,
    notices: [],
    membership: 'member',
    unavailable: false,
  };
}

/** Applies `change` to the quotes of message `id` in saved and pending messages. */
function updateQuotes(state: Conversation, id: number, change: (quote: ReplyRef) => ReplyRef): Conversation {
  const quotes = (m: { replyTo: ReplyRef | null }) => m.replyTo !== null && m.replyTo.id === id;
  if (!state.messages.some(quotes) && !state.pending.some(quotes)) return state;
  return {
    ...state,
    messages: state.messages.map((m) => (quotes(m) ? { ...m, replyTo: change(m.replyTo!) } : m)),
    pending: state.pending.map((p) => (quotes(p) ? { ...p, replyTo: change(p.replyTo!) } : p)),
  };
}

/** A message's attachments as a comparable key (the ids in order). */
const attachmentIds = (attachments: readonly Pick<Attachment, 'id'>[]) => attachments.map((a) => a.id).join(',');

/** `state` after learning `entries` of moderation: its messages and the quotes of them follow. */
function moderate(state: Conversation, entries: ReadonlyArray<[number, Moderated]>): Conversation {
  const moderated = new Map(state.moderated);
  const changed = entries.filter(([id]) => moderated.get(id)?.kind !== 'purged'); // purged is for good
  if (changed.length === 0) return state;
  for (const [id, entry] of changed) moderated.set(id, entry);
  const ids = new Set(changed.map(([id]) => id));
  let next: Conversation = {
    ...state,
    moderated,
    messages: state.messages.map((m) => (ids.has(m.id) ? withKnown(m, { ...state, moderated }) : m)),
  };
  for (const id of ids) next = updateQuotes(next, id, (quote) => quoteWithKnown(quote, next.deleted, next.edits, moderated));
  return next;
}

function updatePending(
  state: Conversation,
  key: string,
  change: (pending: PendingMessage) => PendingMessage,
): Conversation {
  if (!state.pending.some((p) => p.key === key)) return state;
  return { ...state, pending: state.pending.map((p) => (p.key === key ? change(p) : p)) };
}

export function conversationReducer(state: Conversation, action: ConversationAction): Conversation {
  switch (action.type) {
    case 'snapshot':
    case 'windowRequested':
    case 'reloadRequested':
    case 'newerRequested':
    case 'newerLoaded':
    case 'newerFailed':
    case 'focused':
    case 'focusDone':
      return windowReducer(state, action);
    case 'loadFailed':
      if (!isCurrent(state, action.window)) return state;
      return { ...state, status: 'failed', error: action.error };
    case 'unavailable':
      // What was shown stays (a reload that failed); else an empty page, written to all the same.
      if (!isCurrent(state, action.window) || state.status === 'ready') return state;
      return { ...state, status: 'ready', error: null, unavailable: true };
    case 'olderRequested':
      return { ...state, loadingOlder: true, olderError: null };
    case 'olderLoaded':
      if (!isCurrent(state, action.window)) return { ...state, loadingOlder: false };
      return {
        ...state,
        messages: mergeMessages(state.messages, known(state, action.messages), state.deleted),
        hasMore: action.hasMore,
        loadingOlder: false,
      };
    case 'olderFailed':
      if (!isCurrent(state, action.window)) return { ...state, loadingOlder: false };
      return { ...state, loadingOlder: false, olderError: action.error };
    case 'received': {
      const { message } = action;
      const seen = (m: Message) => m.id === message.id;
      if (state.deleted.has(message.id) || state.messages.some(seen) || state.beyond.some(seen)) return state;
      // The echo of our own message can beat the POST answer: it stands for the first pending
      // copy with the same text, so the message is never shown twice. (With two identical
      // texts in flight, which copy it claims makes no visible difference.)
      const replyId = message.reply_to?.id ?? null;
      const files = attachmentIds(message.attachments ?? []);
      const claimed = state.pending.findIndex(
        (p) =>
          p.senderId === message.sender_id &&
          p.content === message.content &&
          (p.replyTo?.id ?? null) === replyId &&
          attachmentIds(p.attachments) === files,
      );
      const pending = claimed === -1 ? state.pending : state.pending.filter((_, i) => i !== claimed);
      return withLive({ ...state, pending }, known(state, [message]));
    }
    case 'deleted': {
      if (state.deleted.has(action.id)) return state;
      const deleted = new Set(state.deleted).add(action.id);
      const gone = (m: Message) => m.id !== action.id;
      const next = { ...state, deleted, messages: state.messages.filter(gone), beyond: state.beyond.filter(gone) };
      return updateQuotes(next, action.id, (quote) => ({ ...quote, isDeleted: true, preview: null }));
    }
    case 'edited': {
      const edit = editOf(action.message);
      const id = action.message.id;
      if (!edit || state.deleted.has(id)) return state;
      const seen = state.edits.get(id);
      if (seen && !isNewer(edit, seen.editedAt)) return state; // an older edit, late
      if (seen && seen.editedAt === edit.editedAt && seen.content === edit.content) return state; // again
      const edits = new Map(state.edits).set(id, edit);
      const next = {
        ...state,
        edits,
        messages: state.messages.map((m) => (m.id === id ? withKnown(m, { ...state, edits }) : m)),
      };
      return updateQuotes(next, id, (quote) => quoteWithKnown(quote, state.deleted, edits, state.moderated));
    }
    case 'hidden': {
      const { id, hidden, keepContent } = action;
      const seen = state.moderated.get(id);
      if (seen?.kind === 'hidden' && seen.hidden.hidden_at === hidden.hidden_at && seen.keepContent === keepContent) {
        return state; // again
      }
      return moderate(state, [[id, { kind: 'hidden', hidden, keepContent }]]);
    }
    case 'unhidden':
      if (state.deleted.has(action.message.id)) return state;
      return moderate(state, [[action.message.id, { kind: 'unhidden', shown: shownOf(action.message) }]]);
    case 'purged': {
      const { purged } = action;
      return moderate(
        state,
        action.ids.map((id) => [id, { kind: 'purged', purged }]),
      );
    }
    case 'reacted':
      return reactedIn(state, action);
    case 'readBy': {
      if ((state.readMarks[action.userId] ?? 0) >= action.upTo) return state; // markers only move forward
      return { ...state, readMarks: { ...state.readMarks, [action.userId]: action.upTo } };
    }
    case 'notice': {
      const { notice, me } = action;
      if (state.notices.some((n) => n.position === notice.position)) return state;
      const newest = state.messages[state.messages.length - 1]?.id ?? 0;
      // Not placed yet while the history loads or the window is not at the newest.
      const placed: Notice = { ...notice, afterId: state.status === 'ready' && !state.hasNewer ? newest : null };
      const notices = [...state.notices, placed].sort((a, b) => a.position - b.position);
      let { membership } = state;
      if (notice.userId === me && notice.kind === 'removed') membership = notice.actorId === me ? 'left' : 'removed';
      if (notice.userId === me && notice.kind === 'added') membership = 'member';
      return { ...state, notices, membership };
    }
    case 'sendStarted':
      return {
        ...state,
        pending: [
          ...state.pending,
          {
            key: action.key,
            senderId: action.senderId,
            content: action.content,
            createdAt: action.createdAt,
            replyTo: action.replyTo && quoteWithKnown(action.replyTo, state.deleted, state.edits, state.moderated),
            attachments: action.attachments ?? [],
            status: 'sending',
            error: null,
          },
        ],
      };
    case 'sendSucceeded': {
      // The saved message replaces the pending one; if the stream's echo came first, the
      // pending copy is already gone and the message already there: merging adds nothing.
      const pending = state.pending.filter((p) => p.key !== action.key);
      return withLive({ ...state, pending }, known(state, [action.message]));
    }
    case 'sendFailed':
      return updatePending(state, action.key, (p) => ({ ...p, status: 'failed', error: action.error }));
    case 'retried':
      return updatePending(state, action.key, (p) => ({ ...p, status: 'sending', error: null }));
    case 'discarded':
      return { ...state, pending: state.pending.filter((p) => p.key !== action.key) };
  }
}

/** Every conversation opened in this session, by chat id, so switching back is instant and
 * the stream keeps each one current. */
export type Conversations = Readonly<Record<number, Conversation>>;

export type ConversationsAction =
  | { type: 'opened'; chatId: number }
  /** Forget every conversation but this one (after a reset: the others reload when opened). */
  | { type: 'keptOnly'; chatId: number | null }
  /** Forget one conversation (we rejoined its group: it loads again from our new start). */
  | { type: 'forgot'; chatId: number }
  | { type: 'chat'; chatId: number; action: ConversationAction };

export function conversationsReducer(state: Conversations, action: ConversationsAction): Conversations {
  switch (action.type) {
    case 'opened':
      return state[action.chatId] ? state : { ...state, [action.chatId]: emptyConversation(action.chatId) };
    case 'keptOnly': {
      const kept = action.chatId === null ? undefined : state[action.chatId];
      return kept ? { [kept.chatId]: kept } : {};
    }
    case 'forgot': {
      if (!state[action.chatId]) return state;
      const { [action.chatId]: _gone, ...rest } = state;
      return rest;
    }
    case 'chat': {
      const current = state[action.chatId];
      if (!current) return state; // not loaded: its snapshot will include this
      const next = conversationReducer(current, action.action);
      return next === current ? state : { ...state, [action.chatId]: next };
    }
  }
}
