import { describe, expect, it } from 'vitest';

import type { ScheduledMessage } from '../api';
import {
  type ScheduledAction,
  initialScheduled,
  localInputValue,
  scheduledIn,
  scheduledReducer,
  sendAtOf,
} from './scheduled';

function scheduled(id: number, patch: Partial<ScheduledMessage> = {}): ScheduledMessage {
  return {
    id,
    chat_id: 3,
    content: `text ${id}`,
    reply_to_message_id: null,
    send_at: '2025-01-18T15:00:00Z',
    created_at: '2025-01-17T21:30:00Z',
    state: 'pending',
    failure: null,
    ...patch,
  };
}

const run = (actions: ScheduledAction[]) => actions.reduce(scheduledReducer, initialScheduled);
const ids = (items: readonly ScheduledMessage[]) => items.map((m) => m.id);

describe('scheduled messages', () => {
  it('keeps each once, soonest first; a change replaces it and may move it', () => {
    const state = run([
      { type: 'saved', message: scheduled(2) },
      { type: 'saved', message: scheduled(1, { send_at: '2025-01-18T16:00:00Z' }) },
      { type: 'saved', message: scheduled(3) },
      { type: 'saved', message: scheduled(2, { send_at: '2025-01-18T17:00:00Z', content: 'edited' }) },
    ]);
    expect(ids(state.items)).toEqual([3, 1, 2]);
    expect(state.items[2]?.content).toBe('edited');
  });

  it('a loaded chat replaces only that chat’s', () => {
    const state = run([
      { type: 'saved', message: scheduled(1) },
      { type: 'saved', message: scheduled(2, { chat_id: 4 }) },
      { type: 'loaded', chatId: 3, messages: [scheduled(5)] },
    ]);
    expect(ids(state.items)).toEqual([2, 5]);
    expect(ids(scheduledIn(state, 3))).toEqual([5]);
  });

  it('our new message with its text takes the first pending one off, not a failed one', () => {
    const state = run([
      { type: 'saved', message: scheduled(1, { content: 'same', state: 'failed' }) },
      { type: 'saved', message: scheduled(2, { content: 'same' }) },
      { type: 'saved', message: scheduled(3, { content: 'same' }) },
      { type: 'sent', chatId: 3, content: 'same' },
      { type: 'sent', chatId: 4, content: 'same' },
    ]);
    expect(ids(state.items)).toEqual([1, 3]);
    expect(ids(run([{ type: 'saved', message: scheduled(1) }, { type: 'gone', id: 1 }]).items)).toEqual([]);
  });

  it('reads a datetime-local value as local time, and writes one back', () => {
    const at = new Date(2026, 10, 25, 18, 5);
    expect(localInputValue(at)).toBe('2026-11-25T18:05');
    expect(sendAtOf('2026-11-25T18:05')).toBe(at.toISOString());
    expect(sendAtOf('')).toBeNull();
    expect(sendAtOf('tomorrow')).toBeNull();
  });
});
