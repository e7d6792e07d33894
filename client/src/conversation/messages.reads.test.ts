import { describe, expect, it } from 'vitest';

import { conversationReducer, emptyConversation } from './messages';
import { ME, OTHER, loaded, run, wire } from './messagesFixtures';
import type { Conversation, WireMessage } from './model';
import { isReadByOthers, readTarget } from './queries';

describe('read receipts', () => {
  const mine = (id: number, readBy: number[] = []): WireMessage => ({ ...wire(id, ME, `mine ${id}`), read_by: readBy });
  const readState = (...messages: WireMessage[]) => run([{ type: 'snapshot', messages, hasMore: false }]);
  const ticks = (state: Conversation) => state.messages.map((m) => isReadByOthers(state, m));

  it('takes read_by from the history', () => {
    expect(ticks(readState(mine(1, [OTHER]), mine(2)))).toEqual([true, false]);
  });

  it('turns the partner’s messages_read into ✓✓ on our messages up to it, also for later arrivals', () => {
    const state = run([{ type: 'readBy', userId: OTHER, upTo: 2 }], readState(mine(1), mine(2), mine(3)));
    expect(ticks(state)).toEqual([true, true, false]);
    // The POST answer or echo of a message the partner has already read (no read_by on the stream).
    const readEarlier = run([{ type: 'readBy', userId: OTHER, upTo: 2 }], readState(mine(1)));
    const late = run([{ type: 'received', message: wire(2, ME, 'late') }], readEarlier);
    expect(ticks(late)).toEqual([true, true]);
  });

  it('does not count our own marker as someone reading our messages', () => {
    const state = run([{ type: 'readBy', userId: ME, upTo: 9 }], readState(mine(1)));
    expect(ticks(state)).toEqual([false]);
  });

  it('moves markers forward only', () => {
    const forward = run([{ type: 'readBy', userId: OTHER, upTo: 3 }], readState(mine(1), mine(2), mine(3)));
    const back = conversationReducer(forward, { type: 'readBy', userId: OTHER, upTo: 1 });
    expect(back).toBe(forward);
    expect(ticks(back)).toEqual([true, true, true]);
  });
});

describe('marking read', () => {
  it('targets the newest message when something of someone else is newer than our marker', () => {
    const state = loaded(1, 2, 3);
    expect(readTarget(state, ME, 0)).toBe(3);
    expect(readTarget(state, ME, 2)).toBe(3);
    expect(readTarget(state, ME, 3)).toBeNull(); // the marker is there already
    expect(readTarget(state, ME, 7)).toBeNull(); // or further (another tab)
  });

  it('does not mark for our own messages alone, nor before the history is loaded', () => {
    const state = run([{ type: 'received', message: wire(4, ME) }], loaded(1, 2, 3));
    expect(readTarget(state, ME, 3)).toBeNull();
    expect(readTarget(state, ME, 2)).toBe(4);
    expect(readTarget(emptyConversation(1), ME, 0)).toBeNull();
  });
});
