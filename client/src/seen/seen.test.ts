import { describe, expect, it } from 'vitest';

import { type Marker, seenOf } from './seen';

const marker = (user_id: number, last_read_message_id: number, since_message_id = 0): Marker => ({
  user_id,
  name: `User ${user_id}`,
  role: 'student',
  last_read_message_id,
  since_message_id,
});

const ids = (markers: readonly Marker[]) => markers.map((m) => m.user_id);

describe('seenOf', () => {
  const markers = [marker(1, 0), marker(2, 10), marker(3, 30, 15), marker(9, 40)];

  it('counts the members who may read it, never its author, and who did', () => {
    const seen = seenOf(markers, {}, 10, 9);
    expect(ids(seen.seen)).toEqual([2]);
    expect(ids(seen.notSeen)).toEqual([1]); // 3 joined after message 10: not counted
  });

  it('counts a later member for the messages from their joining on', () => {
    const seen = seenOf(markers, {}, 20, 9);
    expect(ids(seen.seen)).toEqual([3]);
    expect(ids(seen.notSeen)).toEqual([1, 2]);
  });

  it('follows markers the stream moved, and never moves one back', () => {
    const seen = seenOf(markers, { 1: 20, 3: 5 }, 20, 9);
    expect(ids(seen.seen)).toEqual([1, 3]);
    expect(ids(seen.notSeen)).toEqual([2]);
  });

  it('counts the author out of their own marker', () => {
    const seen = seenOf(markers, {}, 40, 2);
    expect(seen.seen.length + seen.notSeen.length).toBe(3);
  });
});
