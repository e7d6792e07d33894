// The clocks around typing.ts's pure rules: a timer that forgets indicators when they expire,
// and the composer's side (what to tell the server, and the idle timeout).

import { useCallback, useEffect, useReducer, useRef } from 'react';

import * as api from './api';
import {
  TYPING_IDLE_MS,
  type Typing,
  type TypingAction,
  type TypingSender,
  type TypingSignal,
  idleSender,
  nextExpiry,
  noTyping,
  typingInput,
  typingReducer,
  typingStopped,
} from './typing';

/** Who is typing where; indicators disappear by themselves when they expire. */
export function useTypingIndicators(): [Typing, (action: TypingAction) => void] {
  const [typing, dispatch] = useReducer(typingReducer, noTyping);
  useEffect(() => {
    const next = nextExpiry(typing);
    if (next === null) return;
    const timer = setTimeout(() => dispatch({ type: 'expire', now: Date.now() }), Math.max(0, next - Date.now()));
    return () => clearTimeout(timer);
  }, [typing]);
  return [typing, dispatch];
}

export interface TypingNotifier {
  /** The composer's text changed (by the person typing). */
  input: (text: string) => void;
  /** They stopped: blur, sent, the chat closed. */
  stop: () => void;
}

/**
 * Tells `chatId`'s other participant when we type there: throttled `true`, one `false` when it
 * stops (also after TYPING_IDLE_MS without a keystroke, and when the chat is closed).
 * Best effort: a lost request only makes the indicator late or leaves it to expire.
 * Only the composer uses it, and admins have none: they never send anything.
 */
export function useTypingNotifier(chatId: number): TypingNotifier {
  const state = useRef<TypingSender>(idleSender);
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const apply = useCallback(
    ([next, signal]: [TypingSender, TypingSignal]) => {
      state.current = next;
      if (signal !== null) api.setTyping(chatId, signal).catch(() => {});
    },
    [chatId],
  );

  const stop = useCallback(() => {
    clearTimeout(idle.current);
    apply(typingStopped(state.current));
  }, [apply]);

  const input = useCallback(
    (text: string) => {
      apply(typingInput(state.current, text, Date.now()));
      clearTimeout(idle.current);
      if (state.current.active) idle.current = setTimeout(stop, TYPING_IDLE_MS);
    },
    [apply, stop],
  );

  // Leaving the chat (or the page) while typing: stopped.
  useEffect(() => stop, [stop]);

  return { input, stop };
}
