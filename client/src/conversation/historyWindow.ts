// Which part of a chat's history a conversation shows: its window. Opened normally, the window
// is the newest page, and older pages join it at the top. Opened at a message (a search
// result), it is the page around that message (`?around=`): older pages join it at the top as
// before, newer ones at the bottom (`?after_id=`) while the server says newer exist
// (`hasNewer`), until it reaches the newest; "Jump to latest" replaces it with the newest page.
//
// While the window is not at the newest, what arrives live (the stream's messages, our own
// sends) cannot follow its last message: there is a gap between. Such messages wait in
// `beyond` (with the edits, deletions and moderation seen meanwhile applied when they are
// shown) and join once the window reaches the newest; a group's system lines wait likewise
// (`afterId` null). Nothing in such a window counts as read.
//
// Every window has a number, chosen by whoever asks for it (useChatLoading): pages and
// failures that answer for a window no longer shown are dropped, so a late answer never mixes
// two windows. An answer without a number (the tests' and older callers') always applies.
//
// `focus`: a message to bring into view and mark once it is on screen (the list clears it).

import { known, mergeMessages, withKnown } from './knownMessages';
import type { Conversation, Message, Notice, WireMessage } from './model';

/** At most this many live messages wait beyond a window (the oldest go: the server has them). */
export const MAX_BEYOND = 200;

export type WindowAction =
  /** A page of history replaces what is shown (the newest: `hasNewer` false or absent). */
  | { type: 'snapshot'; messages: WireMessage[]; hasMore: boolean; hasNewer?: boolean; window?: number }
  /** Another window is on its way (a jump): nothing is shown until it arrives, then `focus`. */
  | { type: 'windowRequested'; window: number; focus: number | null }
  /** The newest page again (a reload): what is shown stays until it arrives. */
  | { type: 'reloadRequested'; window: number }
  | { type: 'newerRequested' }
  | { type: 'newerLoaded'; messages: WireMessage[]; hasNewer: boolean; window?: number }
  | { type: 'newerFailed'; error: string; window?: number }
  /** Bring a message already loaded into view and mark it. */
  | { type: 'focused'; messageId: number }
  /** The list has shown the message to focus (or found it gone). */
  | { type: 'focusDone' };

/** Whether an answer is for the window shown (an answer that names none always is). */
export function isCurrent(state: Conversation, window: number | undefined): boolean {
  return window === undefined || window === state.window;
}

/** Lines that waited for the newest message get their place: after `newest`. */
function placeWaiting(notices: readonly Notice[], newest: number): Notice[] {
  if (!notices.some((n) => n.afterId === null)) return notices as Notice[];
  return notices.map((n) => (n.afterId === null ? { ...n, afterId: newest } : n));
}

/** `state`'s waiting live messages as they are to be shown now (edits and moderation seen since). */
const beyondNow = (state: Conversation): Message[] => state.beyond.map((m) => withKnown(m, state));

function windowLoaded(state: Conversation, action: Extract<WindowAction, { type: 'snapshot' }>): Conversation {
  const hasNewer = action.hasNewer ?? false;
  // The page is the truth for what it covers; what arrived live while it was in flight (newer
  // than its newest) follows it, or waits beyond it when there is a gap.
  const page = known(state, action.messages);
  const newest = page.length > 0 ? page[page.length - 1]!.id : 0;
  const live = mergeMessages(
    state.messages.filter((m) => m.id > newest),
    beyondNow(state).filter((m) => m.id > newest),
    state.deleted,
  );
  return {
    ...state,
    notices: hasNewer ? state.notices : placeWaiting(state.notices, newest),
    status: 'ready',
    unavailable: false,
    error: null,
    messages: mergeMessages(page, hasNewer ? [] : live, state.deleted),
    beyond: hasNewer ? live.slice(-MAX_BEYOND) : [],
    hasMore: action.hasMore,
    hasNewer,
    loadingOlder: false,
    olderError: null,
    loadingNewer: false,
    newerError: null,
  };
}

export function windowReducer(state: Conversation, action: WindowAction): Conversation {
  switch (action.type) {
    case 'snapshot':
      return isCurrent(state, action.window) ? windowLoaded(state, action) : state;
    case 'windowRequested':
      return {
        ...state,
        window: action.window,
        focus: action.focus,
        status: 'loading',
        error: null,
        messages: [],
        beyond: [],
        hasMore: false,
        hasNewer: false,
        loadingOlder: false,
        olderError: null,
        loadingNewer: false,
        newerError: null,
      };
    case 'reloadRequested':
      return { ...state, window: action.window };
    case 'newerRequested':
      return { ...state, loadingNewer: true, newerError: null };
    case 'newerLoaded': {
      if (!isCurrent(state, action.window)) return { ...state, loadingNewer: false };
      const messages = mergeMessages(state.messages, known(state, action.messages), state.deleted);
      if (action.hasNewer) return { ...state, messages, loadingNewer: false };
      // The newest reached: what arrived meanwhile follows, and the lines that waited.
      const newest = messages.length > 0 ? messages[messages.length - 1]!.id : 0;
      return {
        ...state,
        messages: mergeMessages(messages, beyondNow(state), state.deleted),
        beyond: [],
        hasNewer: false,
        loadingNewer: false,
        notices: placeWaiting(state.notices, newest),
      };
    }
    case 'newerFailed':
      if (!isCurrent(state, action.window)) return { ...state, loadingNewer: false };
      return { ...state, loadingNewer: false, newerError: action.error };
    case 'focused':
      return state.focus === action.messageId ? state : { ...state, focus: action.messageId };
    case 'focusDone':
      return state.focus === null ? state : { ...state, focus: null };
  }
}

/**
 * Messages that arrived live (or our own, saved), placed: after the window's newest message, or
 * beyond it while the window is not at the newest.
 */
export function withLive(state: Conversation, incoming: readonly Message[]): Conversation {
  if (state.hasNewer) {
    return { ...state, beyond: mergeMessages(state.beyond, incoming, state.deleted).slice(-MAX_BEYOND) };
  }
  return { ...state, messages: mergeMessages(state.messages, incoming, state.deleted) };
}

/** The id to ask for newer messages with (`after_id`), or null when the window is at the newest. */
export function newerCursor(state: Conversation): number | null {
  if (!state.hasNewer || state.messages.length === 0) return null;
  return state.messages[state.messages.length - 1]!.id;
}

/**
 * The system lines to show among the window's messages: all of them at the newest; otherwise
 * only those placed within what is loaded (the rest belong after the gap).
 */
export function shownNotices(state: Conversation): readonly Notice[] {
  if (!state.hasNewer) return state.notices;
  const last = state.messages.length > 0 ? state.messages[state.messages.length - 1]!.id : 0;
  return state.notices.filter((n) => n.afterId !== null && n.afterId <= last);
}

/** Whether `messageId` is on screen in `state` (loaded, in the window shown). */
export function isLoaded(state: Conversation | undefined, messageId: number): boolean {
  return state?.status === 'ready' && state.messages.some((m) => m.id === messageId);
}
