// The state of one open conversation, as a pure reducer: the saved messages (by id, which is
// also their order), the messages being sent (optimistic, keyed by a local key), and the ids
// known to be deleted. Events can arrive in any order relative to the HTTP answers — the
// stream's echo of our own message before or after the POST answer, a deletion before the
// snapshot that still contains the message — and every action is idempotent, so the result
// is the same whatever the order.

export const MAX_MESSAGE_CHARS = 10_000;

export interface Message {
  id: number;
  senderId: number;
  content: string;
  createdAt: string;
}

export interface PendingMessage {
  /** Local key, stable across retries. */
  key: string;
  senderId: number;
  content: string;
  createdAt: string;
  status: 'sending' | 'failed';
  error: string | null;
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
  hasMore: boolean;
  loadingOlder: boolean;
  olderError: string | null;
}

/** A message as the API and the event stream send it. */
export interface WireMessage {
  id: number;
  sender_id: number;
  content: string;
  created_at: string;
}

export type ConversationAction =
  | { type: 'snapshot'; messages: WireMessage[]; hasMore: boolean }
  | { type: 'loadFailed'; error: string }
  | { type: 'olderRequested' }
  | { type: 'olderLoaded'; messages: WireMessage[]; hasMore: boolean }
  | { type: 'olderFailed'; error: string }
  | { type: 'received'; message: WireMessage }
  | { type: 'deleted'; id: number }
  | { type: 'sendStarted'; key: string; senderId: number; content: string; createdAt: string }
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
    hasMore: false,
    loadingOlder: false,
    olderError: null,
  };
}

export function fromWire(message: WireMessage): Message {
  return { id: message.id, senderId: message.sender_id, content: message.content, createdAt: message.created_at };
}

/** `existing` plus `incoming`, ascending by id, each id once, deleted ids left out. */
export function mergeMessages(
  existing: readonly Message[],
  incoming: readonly Message[],
  deleted: ReadonlySet<number>,
): Message[] {
  const byId = new Map<number, Message>();
  for (const message of existing) byId.set(message.id, message);
  for (const message of incoming) if (!byId.has(message.id)) byId.set(message.id, message);
  return [...byId.values()].filter((m) => !deleted.has(m.id)).sort((a, b) => a.id - b.id);
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
    case 'snapshot': {
      // The snapshot is the truth for everything up to its newest message; messages the
      // stream delivered while it was in flight (newer than that) are kept.
      const snapshot = action.messages.map(fromWire);
      const newest = snapshot.length > 0 ? snapshot[snapshot.length - 1]!.id : 0;
      const live = state.messages.filter((m) => m.id > newest);
      return {
        ...state,
        status: 'ready',
        error: null,
        messages: mergeMessages(snapshot, live, state.deleted),
        hasMore: action.hasMore,
        loadingOlder: false,
        olderError: null,
      };
    }
    case 'loadFailed':
      return { ...state, status: 'failed', error: action.error };
    case 'olderRequested':
      return { ...state, loadingOlder: true, olderError: null };
    case 'olderLoaded':
      return {
        ...state,
        messages: mergeMessages(state.messages, action.messages.map(fromWire), state.deleted),
        hasMore: action.hasMore,
        loadingOlder: false,
      };
    case 'olderFailed':
      return { ...state, loadingOlder: false, olderError: action.error };
    case 'received': {
      const { message } = action;
      if (state.deleted.has(message.id) || state.messages.some((m) => m.id === message.id)) return state;
      // The echo of our own message can beat the POST answer: it stands for the first pending
      // copy with the same text, so the message is never shown twice. (With two identical
      // texts in flight, which copy it claims makes no visible difference.)
      const claimed = state.pending.findIndex((p) => p.senderId === message.sender_id && p.content === message.content);
      const pending = claimed === -1 ? state.pending : state.pending.filter((_, i) => i !== claimed);
      return { ...state, pending, messages: mergeMessages(state.messages, [fromWire(message)], state.deleted) };
    }
    case 'deleted': {
      if (state.deleted.has(action.id)) return state;
      const deleted = new Set(state.deleted).add(action.id);
      return { ...state, deleted, messages: state.messages.filter((m) => m.id !== action.id) };
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
            status: 'sending',
            error: null,
          },
        ],
      };
    case 'sendSucceeded': {
      // The saved message replaces the pending one; if the stream's echo came first, the
      // pending copy is already gone and the message already there: merging adds nothing.
      const pending = state.pending.filter((p) => p.key !== action.key);
      return { ...state, pending, messages: mergeMessages(state.messages, [fromWire(action.message)], state.deleted) };
    }
    case 'sendFailed':
      return updatePending(state, action.key, (p) => ({ ...p, status: 'failed', error: action.error }));
    case 'retried':
      return updatePending(state, action.key, (p) => ({ ...p, status: 'sending', error: null }));
    case 'discarded':
      return { ...state, pending: state.pending.filter((p) => p.key !== action.key) };
  }
}

/** The id to ask for older messages with (`before_id`), or null when there is nothing older. */
export function olderCursor(state: Conversation): number | null {
  if (!state.hasMore || state.messages.length === 0) return null;
  return state.messages[0]!.id;
}

/** Length in Unicode code points, as the server counts it. */
export function messageLength(text: string): number {
  return [...text].length;
}

/** Why `text` cannot be sent, or null if it can. */
export function sendBlocker(text: string): 'empty' | 'too-long' | null {
  if (text.trim() === '') return 'empty';
  if (messageLength(text) > MAX_MESSAGE_CHARS) return 'too-long';
  return null;
}

/** Every conversation opened in this session, by chat id, so switching back is instant and
 * the stream keeps each one current. */
export type Conversations = Readonly<Record<number, Conversation>>;

export type ConversationsAction =
  | { type: 'opened'; chatId: number }
  /** Forget every conversation but this one (after a reset: the others reload when opened). */
  | { type: 'keptOnly'; chatId: number | null }
  | { type: 'chat'; chatId: number; action: ConversationAction };

export function conversationsReducer(state: Conversations, action: ConversationsAction): Conversations {
  switch (action.type) {
    case 'opened':
      return state[action.chatId] ? state : { ...state, [action.chatId]: emptyConversation(action.chatId) };
    case 'keptOnly': {
      const kept = action.chatId === null ? undefined : state[action.chatId];
      return kept ? { [kept.chatId]: kept } : {};
    }
    case 'chat': {
      const current = state[action.chatId];
      if (!current) return state; // not loaded: its snapshot will include this
      const next = conversationReducer(current, action.action);
      return next === current ? state : { ...state, [action.chatId]: next };
    }
  }
}
