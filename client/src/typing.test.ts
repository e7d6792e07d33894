import { describe, expect, it } from 'vitest';

import {
  TYPING_EXPIRY_MS,
  TYPING_IDLE_MS,
  TYPING_RENEW_MS,
  type Typing,
  type TypingAction,
  type TypingSender,
  type TypingSignal,
  idleSender,
  nextExpiry,
  noTyping,
  typingIn,
  typingInput,
  typingReducer,
  typingStopped,
  typingText,
} from './typing';
import { i18n } from './i18n';

// The words come from the caller's translator, as components pass theirs.
const en = i18n.getFixedT('en');
const ru = i18n.getFixedT('ru');

const CHAT = 5;
const MARIA = 8;
const T0 = 1_700_000_000_000;

const run = (actions: TypingAction[], start: Typing = noTyping) => actions.reduce(typingReducer, start);
const typing = (at: number, isTyping = true, userId = MARIA, chatId = CHAT): TypingAction => ({
  type: 'typing',
  chatId,
  userId,
  isTyping,
  at,
});

describe('typing indicators', () => {
  it('show a user as typing until the true expires', () => {
    const state = run([typing(T0)]);
    expect(typingIn(state, CHAT, T0)).toEqual([MARIA]);
    expect(typingIn(state, CHAT, T0 + TYPING_EXPIRY_MS - 1)).toEqual([MARIA]);
    expect(typingIn(state, CHAT, T0 + TYPING_EXPIRY_MS)).toEqual([]);
    expect(typingIn(state, CHAT + 1, T0)).toEqual([]);
    expect(nextExpiry(state)).toBe(T0 + TYPING_EXPIRY_MS);
  });

  it('keep showing while the true is renewed', () => {
    const state = run([typing(T0), typing(T0 + 2_500), typing(T0 + 5_000)]);
    expect(typingIn(state, CHAT, T0 + 10_000)).toEqual([MARIA]);
    expect(typingIn(state, CHAT, T0 + 5_000 + TYPING_EXPIRY_MS)).toEqual([]);
  });

  it('clear at once on false', () => {
    const state = run([typing(T0), typing(T0 + 100, false)]);
    expect(typingIn(state, CHAT, T0 + 100)).toEqual([]);
    expect(state).toEqual(noTyping);
    expect(nextExpiry(state)).toBeNull();
  });

  it('clear when that user sends a message in that chat, and only then', () => {
    const both = run([typing(T0), typing(T0, true, MARIA, CHAT + 1)]);
    const otherUser = run([{ type: 'message', chatId: CHAT, userId: MARIA + 1 }], both);
    expect(otherUser).toBe(both);
    const otherChat = run([{ type: 'message', chatId: CHAT + 1, userId: MARIA }], both);
    expect(typingIn(otherChat, CHAT, T0)).toEqual([MARIA]);
    expect(typingIn(otherChat, CHAT + 1, T0)).toEqual([]);
    // A new true after the message shows again.
    expect(typingIn(run([typing(T0 + 3_000, true, MARIA, CHAT + 1)], otherChat), CHAT + 1, T0 + 3_000)).toEqual([MARIA]);
  });

  it('are forgotten by expire at the time passed in, not before', () => {
    const state = run([typing(T0), typing(T0 + 3_000, true, MARIA + 1)]);
    const early = run([{ type: 'expire', now: T0 + TYPING_EXPIRY_MS - 1 }], state);
    expect(early).toBe(state);
    const later = run([{ type: 'expire', now: T0 + TYPING_EXPIRY_MS }], state);
    expect(typingIn(later, CHAT, T0)).toEqual([MARIA + 1]);
    expect(nextExpiry(later)).toBe(T0 + 3_000 + TYPING_EXPIRY_MS);
    expect(run([{ type: 'expire', now: T0 + 60_000 }], later)).toEqual(noTyping);
  });

  it('ignore a false or a message for someone not typing, and a stale true', () => {
    expect(run([typing(T0, false)])).toBe(noTyping);
    expect(run([{ type: 'message', chatId: CHAT, userId: MARIA }])).toBe(noTyping);
    const state = run([typing(T0 + 1_000)]);
    expect(run([typing(T0)], state)).toBe(state);
  });
});

/** Feeds composer changes (`[ms after T0, text]`, or `[ms, 'stop']`) and returns the requests made. */
function signals(steps: Array<[number, string]>): Array<[number, TypingSignal]> {
  let state: TypingSender = idleSender;
  const sent: Array<[number, TypingSignal]> = [];
  for (const [ms, text] of steps) {
    const [next, signal] = text === 'stop' ? typingStopped(state) : typingInput(state, text, T0 + ms);
    state = next;
    if (signal !== null) sent.push([ms, signal]);
  }
  return sent;
}

describe('telling the server we type', () => {
  it('sends true on the first keystroke and renews it at most every TYPING_RENEW_MS', () => {
    // A keystroke every 200 ms for 6 s.
    const steps: Array<[number, string]> = Array.from({ length: 31 }, (_, i) => [i * 200, 'x'.repeat(i + 1)]);
    const sent = signals(steps);
    expect(sent).toEqual([
      [0, true],
      [2_600, true],
      [5_200, true],
    ]);
    for (let i = 1; i < sent.length; i++) expect(sent[i]![0] - sent[i - 1]![0]).toBeGreaterThanOrEqual(TYPING_RENEW_MS);
    // Well inside the receiver's expiry, and sparser than the server's 2 s.
    expect(TYPING_RENEW_MS).toBeGreaterThanOrEqual(2_000);
    expect(TYPING_RENEW_MS).toBeLessThan(TYPING_EXPIRY_MS / 2);
    expect(TYPING_IDLE_MS).toBeLessThan(TYPING_EXPIRY_MS);
  });

  it('sends false once when the text is emptied, and true again when typing starts again', () => {
    expect(
      signals([
        [0, 'п'],
        [100, 'пр'],
        [200, ''],
        [300, ''],
        [400, 'н'],
      ]),
    ).toEqual([
      [0, true],
      [200, false],
      [400, true],
    ]);
  });

  it('sends false once when typing stops (blur, sent, idle, chat closed), and nothing if it never started', () => {
    expect(signals([[0, 'stop']])).toEqual([]);
    expect(
      signals([
        [0, 'привет'],
        [100, 'stop'],
        [200, 'stop'],
      ]),
    ).toEqual([
      [0, true],
      [100, false],
    ]);
  });

  it('treats blank text as not typing', () => {
    expect(signals([[0, '   \n ']])).toEqual([]);
  });
});

describe('who is typing, in words', () => {
  it('names one, two, or two and how many more, in English', () => {
    expect(typingText([], en)).toBe('');
    expect(typingText(['Мария Иванова'], en)).toBe('Мария Иванова is typing…');
    expect(typingText(['Мария', 'Иван'], en)).toBe('Мария and Иван are typing…');
    expect(typingText(['Мария', 'Иван', 'Alex'], en)).toBe('Мария, Иван and 1 more are typing…');
    expect(typingText(['Мария', 'Иван', 'Alex', 'Ольга', 'Пётр'], en)).toBe('Мария, Иван and 3 more are typing…');
  });

  it('in Russian', () => {
    expect(typingText(['Мария'], ru)).toBe('Мария печатает…');
    expect(typingText(['Мария', 'Иван'], ru)).toBe('Мария и Иван печатают…');
    expect(typingText(['Мария', 'Иван', 'Alex'], ru)).toBe('Мария, Иван и ещё 1 печатают…');
    expect(typingText(['Мария', 'Иван', 'Alex', 'Ольга', 'Пётр', 'Анна', 'Олег'], ru)).toBe(
      'Мария, Иван и ещё 5 печатают…',
    );
  });

  it('lists everyone typing in a group chat, in id order, each until their own expiry', () => {
    const state = run([typing(T0, true, 12), typing(T0 + 1_000, true, MARIA), typing(T0, true, 3, CHAT + 1)]);
    expect(typingIn(state, CHAT, T0 + 1_000)).toEqual([MARIA, 12]);
    expect(typingIn(state, CHAT, T0 + TYPING_EXPIRY_MS)).toEqual([MARIA]);
  });
});
