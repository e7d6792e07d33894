import { describe, expect, it } from 'vitest';

import { EVENT_TYPES, type StreamEvent, backoffDelay, followPosition, parseStreamEvent } from './events';

describe('typing and presence (not in the log)', () => {
  const typing = { chat_id: 3, user_id: 8, is_typing: true };
  const presence = { user_id: 8, online: false, last_seen: '2025-01-17T15:31:00.123456Z' };

  it('parses typing, without an id or with the stale one an EventSource hands it', () => {
    const expected = { type: 'typing', chatId: 3, userId: 8, isTyping: true };
    expect(parseStreamEvent('typing', JSON.stringify(typing), '')).toEqual(expected);
    expect(parseStreamEvent('typing', JSON.stringify(typing), '41')).toEqual(expected);
    expect(parseStreamEvent('typing', JSON.stringify({ ...typing, is_typing: false }), '')).toMatchObject({
      isTyping: false,
    });
  });

  it('rejects typing of the wrong shape', () => {
    const bad = (patch: object) => parseStreamEvent('typing', JSON.stringify({ ...typing, ...patch }), '');
    expect(bad({ is_typing: 'true' })).toBeNull();
    expect(bad({ is_typing: 1 })).toBeNull();
    expect(bad({ is_typing: undefined })).toBeNull();
    expect(bad({ chat_id: '3' })).toBeNull();
    expect(bad({ user_id: null })).toBeNull();
    expect(bad({ user_id: 8.5 })).toBeNull();
    expect(parseStreamEvent('typing', 'not json', '')).toBeNull();
    expect(parseStreamEvent('typing', '[1,2]', '')).toBeNull();
  });

  it('parses presence, online (never a last seen) or offline with when, or never seen', () => {
    expect(parseStreamEvent('presence', JSON.stringify(presence), '')).toEqual({
      type: 'presence',
      userId: 8,
      online: false,
      lastSeen: '2025-01-17T15:31:00.123456Z',
    });
    expect(parseStreamEvent('presence', JSON.stringify({ user_id: 8, online: true, last_seen: null }), '77')).toEqual({
      type: 'presence',
      userId: 8,
      online: true,
      lastSeen: null,
    });
    expect(parseStreamEvent('presence', JSON.stringify({ ...presence, last_seen: null }), '')).toMatchObject({
      online: false,
      lastSeen: null,
    });
    expect(
      parseStreamEvent('presence', JSON.stringify({ ...presence, last_seen: '2025-01-17T18:31:00+03:00' }), ''),
    ).toMatchObject({ lastSeen: '2025-01-17T18:31:00+03:00' });
  });

  it('rejects presence of the wrong shape or with a last seen that is not an RFC 3339 time', () => {
    const bad = (patch: object) => parseStreamEvent('presence', JSON.stringify({ ...presence, ...patch }), '');
    expect(bad({ online: 'false' })).toBeNull();
    expect(bad({ online: undefined })).toBeNull();
    expect(bad({ user_id: '8' })).toBeNull();
    expect(bad({ last_seen: undefined })).toBeNull();
    expect(bad({ last_seen: 1737127860 })).toBeNull();
    expect(bad({ last_seen: 'yesterday' })).toBeNull();
    expect(bad({ last_seen: '2025-01-17' })).toBeNull();
    expect(bad({ last_seen: '2025-01-17T15:31:00' })).toBeNull(); // no offset
    expect(bad({ last_seen: '2025-13-45T15:31:00Z' })).toBeNull();
  });

  it('are listened to', () => {
    expect(EVENT_TYPES).toContain('typing');
    expect(EVENT_TYPES).toContain('presence');
  });
});

describe("the stream's position", () => {
  const message = (position: number) =>
    parseStreamEvent(
      'new_message',
      JSON.stringify({ chat_id: 1, message: { id: position, sender_id: 7, content: 'x', created_at: '2025-01-17T15:30:00Z' } }),
      String(position),
    )!;
  const live = parseStreamEvent('typing', JSON.stringify({ chat_id: 1, user_id: 8, is_typing: true }), '42')!;
  const online = parseStreamEvent('presence', JSON.stringify({ user_id: 8, online: true, last_seen: null }), '')!;

  /** Runs events through the bookkeeping: what is handled, and the last position. */
  function follow(start: number | null, events: StreamEvent[]) {
    let last = start;
    const handled: string[] = [];
    for (const event of events) {
      const step = followPosition(last, event);
      last = step.last;
      if (step.handle) handled.push('position' in event ? `${event.type}@${event.position}` : event.type);
    }
    return { handled, last };
  }

  it('moves with events of the log and drops their replays', () => {
    expect(follow(40, [message(41), message(41), message(40), message(42)])).toEqual({
      handled: ['new_message@41', 'new_message@42'],
      last: 42,
    });
  });

  it('never moves for typing or presence, and never drops them as already handled', () => {
    // The typing frame came after id 42 and an EventSource reports 42 for it as well.
    expect(follow(40, [message(42), live, online, live, message(43)])).toEqual({
      handled: ['new_message@42', 'typing', 'presence', 'typing', 'new_message@43'],
      last: 43,
    });
    expect(follow(null, [live, online])).toEqual({ handled: ['typing', 'presence'], last: null });
    expect(follow(50, [live])).toEqual({ handled: ['typing'], last: 50 });
  });

  it('takes the position of a reset, whatever it is', () => {
    const reset = parseStreamEvent('reset', '{"reason":"behind"}', '30')!;
    expect(follow(40, [reset, message(31)])).toEqual({ handled: ['reset@30', 'new_message@31'], last: 31 });
  });
});

describe('backoffDelay', () => {
  it('doubles its ceiling per failure up to 10 s and waits between half and all of it', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 0)).toBe(2000);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(10, () => 0)).toBe(5000);
    expect(backoffDelay(10, () => 1)).toBe(10_000);
  });

  it('spreads the clients that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(2)));
    expect(delays.size).toBeGreaterThan(40);
    for (const delay of delays) expect(delay >= 1000 && delay <= 2000).toBe(true);
  });
});
