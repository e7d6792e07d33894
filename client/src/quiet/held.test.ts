import { describe, expect, it } from 'vitest';

import type { HeldMessage } from '../api';
import { type HeldAction, deliveryTime, heldIn, heldReducer, initialHeld } from './held';

function held(id: number, patch: Partial<HeldMessage> = {}): HeldMessage {
  return {
    id,
    chat_id: 3,
    sender_id: 2,
    content: `text ${id}`,
    reply_to_message_id: null,
    attachment_ids: [],
    held_at: '2025-01-17T21:30:00Z',
    deliver_at: '2025-01-18T05:00:00Z',
    ...patch,
  };
}

const run = (actions: HeldAction[]) => actions.reduce(heldReducer, initialHeld);
const ids = (items: readonly HeldMessage[]) => items.map((m) => m.id);

describe('held messages', () => {
  it('keeps each once, soonest delivered first, then in the order they were held', () => {
    const state = run([
      { type: 'held', message: held(2) },
      { type: 'held', message: held(1, { deliver_at: '2025-01-18T06:00:00Z' }) },
      { type: 'held', message: held(3) },
      { type: 'held', message: held(2) },
    ]);
    expect(ids(state.items)).toEqual([2, 3, 1]);
  });

  it('replaces one chat’s list with what was loaded, keeping the other chats’, or all of them', () => {
    const other = held(9, { chat_id: 4 });
    const before = run([{ type: 'held', message: held(1) }, { type: 'held', message: other }]);
    const chat = heldReducer(before, { type: 'loaded', chatId: 3, messages: [held(2)] });
    expect(ids(chat.items)).toEqual([2, 9]);
    const all = heldReducer(chat, { type: 'loaded', chatId: null, messages: [held(5)] });
    expect(ids(all.items)).toEqual([5]);
  });

  it('lets a new_message from its sender, in its chat, with its text, deliver exactly one', () => {
    const state = run([
      { type: 'held', message: held(1, { content: 'same' }) },
      { type: 'held', message: held(2, { content: 'same' }) },
    ]);
    const elsewhere = heldReducer(state, { type: 'delivered', chatId: 4, senderId: 2, content: 'same' });
    expect(elsewhere).toBe(state);
    const someoneElse = heldReducer(state, { type: 'delivered', chatId: 3, senderId: 7, content: 'same' });
    expect(someoneElse).toBe(state);
    const once = heldReducer(state, { type: 'delivered', chatId: 3, senderId: 2, content: 'same' });
    expect(ids(once.items)).toEqual([2]);
  });

  it('drops one delivered by an admin, and lists a sender’s own of a chat', () => {
    const state = run([
      { type: 'held', message: held(1) },
      { type: 'held', message: held(2, { sender_id: 5 }) },
      { type: 'gone', id: 1 },
    ]);
    expect(ids(heldIn(state, 3, 2))).toEqual([]);
    expect(ids(heldIn(state, 3, 5))).toEqual([2]);
  });
});

describe('deliveryTime', () => {
  const now = Date.parse('2025-01-17T22:00:00Z');
  it('is the time of day within the next day, with the date beyond it', () => {
    expect(deliveryTime('2025-01-18T05:00:00Z', 'en-GB', now)).toBe(
      new Date('2025-01-18T05:00:00Z').toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' }),
    );
    expect(deliveryTime('2025-01-20T05:00:00Z', 'en-GB', now)).toMatch(/20 Jan/);
  });
});
