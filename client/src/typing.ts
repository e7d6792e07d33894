// "Typing…", both ways, as pure functions of timestamps passed in (no timers here, so the
// rules are tested without waiting).
//
// Receiving: a `typing` event with `is_typing: true` shows the user as typing in that chat for
// TYPING_EXPIRY_MS unless it is renewed; `false` and a message from that user in that chat
// clear it at once (the server sends no `false` when a message is sent). Typing events are not
// in the log and are not replayed, so nothing here depends on positions. In a group several
// people may type at once: `typingIn` lists them and `typingText` names them.
//
// Sending: `true` when the text changes and is not blank, again at most every TYPING_RENEW_MS
// while the typing goes on (the server forwards at most one per 2 s and every request counts
// against the user's write rate), and `false` once when it stops: blur, emptied, sent, or
// TYPING_IDLE_MS without a keystroke.

import type { TFunction } from 'i18next';

/** A `true` shows for this long unless renewed. */
export const TYPING_EXPIRY_MS = 6_000;
/** While typing goes on, `true` is sent again after this long (well inside the expiry). */
export const TYPING_RENEW_MS = 2_500;
/** This long without a keystroke counts as having stopped. */
export const TYPING_IDLE_MS = 4_000;

/** Who is typing where: chat id → user id → when it expires (ms since the epoch). */
export type Typing = Readonly<Record<number, Readonly<Record<number, number>>>>;

export type TypingAction =
  /** A `typing` event, received at `at`. */
  | { type: 'typing'; chatId: number; userId: number; isTyping: boolean; at: number }
  /** A message from `userId` in `chatId`: they are done typing it. */
  | { type: 'message'; chatId: number; userId: number }
  /** The clock reached `now`: forget what expired. */
  | { type: 'expire'; now: number };

export const noTyping: Typing = {};

function without(state: Typing, chatId: number, userId: number): Typing {
  const chat = state[chatId];
  if (!chat || !(userId in chat)) return state;
  const { [userId]: _gone, ...rest } = chat;
  const { [chatId]: _chat, ...others } = state;
  return Object.keys(rest).length > 0 ? { ...others, [chatId]: rest } : others;
}

export function typingReducer(state: Typing, action: TypingAction): Typing {
  switch (action.type) {
    case 'typing': {
      if (!action.isTyping) return without(state, action.chatId, action.userId);
      const until = action.at + TYPING_EXPIRY_MS;
      if ((state[action.chatId]?.[action.userId] ?? 0) >= until) return state;
      return { ...state, [action.chatId]: { ...state[action.chatId], [action.userId]: until } };
    }
    case 'message':
      return without(state, action.chatId, action.userId);
    case 'expire': {
      let next = state;
      for (const [chatId, users] of Object.entries(state)) {
        for (const [userId, until] of Object.entries(users)) {
          if (until <= action.now) next = without(next, Number(chatId), Number(userId));
        }
      }
      return next;
    }
  }
}

/** The users typing in `chatId` at `now`, in id order. */
export function typingIn(state: Typing, chatId: number, now: number): number[] {
  return Object.entries(state[chatId] ?? {})
    .filter(([, until]) => until > now)
    .map(([userId]) => Number(userId))
    .sort((a, b) => a - b);
}

/**
 * Who is typing, in the words of `t`: "Мария Иванова is typing…", "Мария Иванова and Alex Kim
 * are typing…", "Мария Иванова, Alex Kim and 2 more are typing…"; empty for nobody.
 */
export function typingText(names: readonly string[], t: TFunction): string {
  const [first, second] = names;
  if (first === undefined) return '';
  if (second === undefined) return t('typing.named', { name: first });
  if (names.length === 2) return t('typing.two', { first, second });
  return t('typing.several', { first, second, count: names.length - 2 });
}

/** When the next indicator runs out (to wake up then), or null if none is shown. */
export function nextExpiry(state: Typing): number | null {
  const all = Object.values(state).flatMap((users) => Object.values(users));
  return all.length > 0 ? Math.min(...all) : null;
}

/** What this tab has told the server about one chat's composer. */
export interface TypingSender {
  /** Whether the server was last told `true` (and not `false` since). */
  active: boolean;
  /** When `true` was last sent. */
  sentAt: number;
}

export const idleSender: TypingSender = { active: false, sentAt: 0 };

/** The request to make, if any: `true`, `false`, or null for none. */
export type TypingSignal = boolean | null;

/** The composer's text changed to `text` at `now` (a keystroke, a paste, a cut). */
export function typingInput(state: TypingSender, text: string, now: number): [TypingSender, TypingSignal] {
  if (text.trim() === '') return typingStopped(state);
  if (state.active && now - state.sentAt < TYPING_RENEW_MS) return [state, null];
  return [{ active: true, sentAt: now }, true];
}

/** The typing stopped (blur, emptied, sent, idle, chat closed): `false`, once. */
export function typingStopped(state: TypingSender): [TypingSender, TypingSignal] {
  return state.active ? [{ ...state, active: false }, false] : [state, null];
}
