import { describe, expect, it } from 'vitest';

import type { AdminUser } from '../api';
import { successors } from './HandOver';
import { moderationOutcome } from '../stream/dispatchModeration';
import type { DispatchState } from '../stream/outcome';
import { parseModerationEvent } from '../stream/moderationEvents';

function person(id: number, patch: Partial<AdminUser> = {}): AdminUser {
  return { id, name: `T${id}`, role: 'teacher', email: `t${id}@school.example`, suspended: null, erasure: null, deactivated_at: null, ...patch };
}

describe('a hand-over', () => {
  it('offers only teachers who may take a chat: not gone, not suspended now', () => {
    const now = Date.parse('2026-11-26T06:00:00Z');
    const users = [
      person(1),
      person(2, { role: 'student' }),
      person(3, { deactivated_at: '2026-11-20T10:00:00Z' }),
      person(4, { suspended: { until: null, reason: 'x' } }),
      person(5, { suspended: { until: '2026-11-01T00:00:00Z', reason: 'ended' } }),
      person(6, { erasure: { requested_at: '2026-11-25T00:00:00Z', completed_at: null } }),
      person(7, { role: 'admin' }),
    ];
    expect(successors(users, now).map((u) => u.id)).toEqual([1, 5]);
  });
});

describe('the stream', () => {
  it('reads who left the school and who came back', () => {
    expect(parseModerationEvent('user_deactivated', { user_id: 8, client: 'entra' }, 40)).toEqual({
      type: 'user_deactivated',
      position: 40,
      userId: 8,
    });
    expect(parseModerationEvent('user_reactivated', { user_id: 8, client: null }, 41)).toEqual({
      type: 'user_reactivated',
      position: 41,
      userId: 8,
    });
    expect(parseModerationEvent('user_deactivated', { user: 8 }, 42)).toBeNull();
  });
});

describe('someone leaving, on the stream', () => {
  const state = (isAdmin: boolean) => ({ me: 1, isAdmin, now: Date.parse('2026-11-26T06:00:00Z') }) as DispatchState;

  it("marks them in an admin's People tab and fetches the admin's list again", () => {
    const left = moderationOutcome({ type: 'user_deactivated', position: 40, userId: 8 }, state(true));
    expect(left.moderation).toEqual([{ type: 'userDeactivated', userId: 8, at: '2026-11-26T06:00:00.000Z' }]);
    expect(left.effects).toEqual([{ type: 'refreshChats' }]);
    const back = moderationOutcome({ type: 'user_reactivated', position: 41, userId: 8 }, state(true));
    expect(back.moderation).toEqual([{ type: 'userReactivated', userId: 8 }]);
  });

  it('asks nothing of anyone else', () => {
    const left = moderationOutcome({ type: 'user_deactivated', position: 40, userId: 8 }, state(false));
    expect(left.moderation).toEqual([]);
    expect(left.effects).toEqual([]);
  });
});
