import { describe, expect, it } from 'vitest';

import type { AdminUser, ReportView } from '../api';
import {
  type ModerationAction,
  type ModerationState,
  accountActions,
  accountState,
  initialModeration,
  moderationReducer,
  openReportCount,
  openReportsBadge,
  waitingClosures,
} from './moderation';
import { i18n } from '../i18n';

const alex = { id: 8, name: 'Alex Kim', role: 'student' as const };
const maria = { id: 9, name: 'Мария Иванова', role: 'student' as const };

function report(id: number, messageId = id * 10, patch: Partial<ReportView> = {}): ReportView {
  return {
    id,
    chat: { id: 3, kind: 'group', title: 'Алгебра' },
    message: {
      id: messageId,
      sender: alex,
      content: `rude ${messageId}`,
      created_at: '2025-01-17T15:00:00Z',
      is_deleted: false,
      hidden: null,
      purged: null,
      attachments: [],
    },
    reporter: maria,
    flag: null,
    reason: 'insults',
    created_at: `2025-01-17T16:${String(id).padStart(2, '0')}:00Z`,
    resolved_at: null,
    resolution: null,
    ...patch,
  };
}

const run = (actions: ModerationAction[], start: ModerationState = initialModeration) =>
  actions.reduce(moderationReducer, start);
const ids = (items: readonly ReportView[]) => items.map((r) => r.id);

/** The open list loaded: reports 5, 4, 3 (newest first), more after 3. */
const loaded = run([
  { type: 'reportsRequested', filter: 'open' },
  { type: 'reportsLoaded', filter: 'open', reports: [report(5), report(4), report(3)], nextCursor: 'c3' },
]);
const hidden = { hidden_at: '2025-01-17T17:00:00Z', hidden_by: 1, reason: 'insults' };

describe('the open reports', () => {
  it('count for the badge once loaded, saying when there are more', () => {
    expect(openReportCount(initialModeration)).toBeNull();
    expect(openReportCount(loaded)).toEqual({ count: 3, more: true });
  });

  it('show on the header’s badge, in words too, and not at all when there are none', () => {
    const ruT = i18n.getFixedT('ru');
    expect(openReportsBadge(openReportCount(loaded), ruT)).toEqual({ text: '3+', label: 'больше 3 открытых жалоб' });
    expect(openReportsBadge({ count: 2, more: false }, ruT)).toEqual({ text: '2', label: '2 открытые жалобы' });
    expect(openReportsBadge({ count: 1, more: false }, i18n.getFixedT('en'))?.label).toBe('1 open report');
    expect(openReportsBadge({ count: 0, more: false }, ruT)).toBeNull();
    expect(openReportsBadge(null, ruT)).toBeNull();
  });

  it('count the guardians’ closure requests waiting for a decision on the badge too', () => {
    const ruT = i18n.getFixedT('ru');
    const enT = i18n.getFixedT('en');
    expect(openReportsBadge({ count: 0, more: false }, enT, 1)).toEqual({ text: '1', label: '1 closure request' });
    expect(openReportsBadge(null, ruT, 2)).toEqual({ text: '2', label: '2 просьбы закрыть чат' });
    expect(openReportsBadge({ count: 1, more: false }, enT, 2)).toEqual({
      text: '3',
      label: '1 open report, 2 closure requests',
    });
    expect(openReportsBadge({ count: 3, more: true }, ruT, 5)).toEqual({
      text: '8+',
      label: 'больше 3 открытых жалоб, 5 просьб закрыть чат',
    });
    expect(openReportsBadge({ count: 0, more: false }, enT, 0)).toBeNull();
    expect(waitingClosures([{ outcome: null }, { outcome: 'closed' }, { outcome: 'declined' }, { outcome: null }])).toBe(2);
  });

  it('lose the rows of a message once it is hidden (its reports are resolved)', () => {
    const twice = run([{ type: 'reported', report: report(6, 40) }], loaded); // a second report of message 40
    const state = run([{ type: 'messageHidden', messageId: 40, hidden }], twice);
    expect(ids(state.open.items)).toEqual([5, 3]);
    expect(openReportCount(state)).toEqual({ count: 2, more: true });
  });

  it('get a live report on top, once, and count it', () => {
    const state = run([{ type: 'reported', report: report(7) }, { type: 'reported', report: report(7) }], loaded);
    expect(ids(state.open.items)).toEqual([7, 5, 4, 3]);
    expect(openReportCount(state)?.count).toBe(4);
  });

  it('keep a live report that arrived while the first page was on its way', () => {
    const state = run([
      { type: 'reportsRequested', filter: 'open' },
      { type: 'reportsLoaded', filter: 'open', reports: [report(5)], nextCursor: null },
      { type: 'reportsRequested', filter: 'open' },
      { type: 'reported', report: report(6) },
      // Read before report 6 was made.
      { type: 'reportsLoaded', filter: 'open', reports: [report(5), report(4)], nextCursor: null },
    ]);
    expect(ids(state.open.items)).toEqual([6, 5, 4]);
  });

  it('merge the next page without duplicates, and drop a page of an earlier load', () => {
    const more = run(
      [
        { type: 'reported', report: report(6) },
        { type: 'pageRequested', filter: 'open', cursor: 'c3' },
        { type: 'pageLoaded', filter: 'open', cursor: 'c3', reports: [report(3), report(2), report(1)], nextCursor: null },
      ],
      loaded,
    );
    expect(ids(more.open.items)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(more.open.nextCursor).toBeNull();
    expect(openReportCount(more)).toEqual({ count: 6, more: false });
    const late = run([{ type: 'pageLoaded', filter: 'open', cursor: 'c3', reports: [report(0)], nextCursor: null }], more);
    expect(late).toBe(more);
  });

  it('say why the next page failed, and keep what is shown', () => {
    const state = run(
      [
        { type: 'pageRequested', filter: 'open', cursor: 'c3' },
        { type: 'pageFailed', filter: 'open', cursor: 'c3', error: 'Cannot reach the server.' },
      ],
      loaded,
    );
    expect(state.open.more).toEqual({ status: 'failed', error: 'Cannot reach the server.' });
    expect(ids(state.open.items)).toEqual([5, 4, 3]);
  });

  it('show a purge, a deletion and an unhide on the rows of their message', () => {
    const state = run(
      [
        { type: 'messagesPurged', messageIds: [50], purged: { purged_at: '2025-01-18T00:00:00Z', cause: 'erasure' } },
        { type: 'messageDeleted', messageId: 40 },
      ],
      loaded,
    );
    expect(state.open.items[0]!.message).toMatchObject({ content: '', purged: { cause: 'erasure' } });
    expect(state.open.items[1]!.message.is_deleted).toBe(true);
    expect(state.open.items[2]!.message).toMatchObject({ content: 'rude 30', purged: null, is_deleted: false });
  });
});

describe('every report', () => {
  const all = run([
    { type: 'reportsRequested', filter: 'all' },
    {
      type: 'reportsLoaded',
      filter: 'all',
      reports: [report(5), report(4, 40, { resolved_at: '2025-01-17T16:30:00Z', resolution: 'hidden' })],
      nextCursor: null,
    },
  ]);

  it('is not loaded until asked for, and a load of it leaves the open list alone', () => {
    expect(initialModeration.all).toBeNull();
    expect(all.all?.status).toBe('ready');
    expect(all.open).toBe(initialModeration.open);
  });

  it('keeps a hidden message’s rows, resolved and marked hidden', () => {
    const state = run([{ type: 'messageHidden', messageId: 50, hidden }], all);
    expect(state.all?.items[0]).toMatchObject({ resolved_at: hidden.hidden_at, resolution: 'hidden', message: { hidden } });
    const back = run([{ type: 'messageUnhidden', messageId: 50 }], state);
    expect(back.all?.items[0]).toMatchObject({ resolution: 'hidden', message: { hidden: null } });
  });

  it('gets a live report on top, like the open list', () => {
    expect(ids(run([{ type: 'reported', report: report(6) }], all).all!.items)).toEqual([6, 5, 4]);
  });
});

describe('people', () => {
  const user = (id: number, patch: Partial<AdminUser> = {}): AdminUser => ({
    id,
    name: `User ${id}`,
    role: 'student',
    email: `u${id}@school.test`,
    suspended: null,
    erasure: null,
    deactivated_at: null,
    ...patch,
  });
  const found = run([
    { type: 'usersRequested', query: 'al' },
    { type: 'usersLoaded', query: 'al', users: [user(8), user(9)] },
  ]);

  it('takes only the answer to the latest search', () => {
    const state = run([{ type: 'usersRequested', query: 'ale' }, { type: 'usersLoaded', query: 'al', users: [] }], found);
    expect(state.users).toMatchObject({ status: 'loading', query: 'ale' });
    expect(state.users.users.map((u) => u.id)).toEqual([8, 9]);
  });

  it('follow suspensions, unsuspensions and erasures', () => {
    const suspended = { until: null, reason: 'spam' };
    const state = run(
      [
        { type: 'userSuspended', userId: 8, suspended },
        { type: 'erasureStarted', userId: 9, requestedAt: '2025-01-17T16:00:00Z' },
      ],
      found,
    );
    expect(state.users.users[0]!.suspended).toEqual(suspended);
    expect(state.users.users[1]!.erasure).toEqual({ requested_at: '2025-01-17T16:00:00Z', completed_at: null });
    const later = run(
      [
        { type: 'userUnsuspended', userId: 8 },
        { type: 'userErased', userId: 9, at: '2025-01-17T16:05:00Z' },
      ],
      state,
    );
    expect(later.users.users[0]!.suspended).toBeNull();
    expect(later.users.users[1]!.erasure).toEqual({ requested_at: '2025-01-17T16:00:00Z', completed_at: '2025-01-17T16:05:00Z' });
  });

  it('offer what may be done: nothing to an admin, nothing once erased', () => {
    const now = Date.parse('2025-01-17T16:00:00Z');
    const none = { suspend: false, unsuspend: false, deactivate: false, reactivate: false, erase: false };
    expect(accountActions(user(1), now)).toEqual({ ...none, suspend: true, deactivate: true, erase: true });
    expect(accountActions(user(1, { role: 'admin' }), now)).toEqual(none);
    const suspended = user(1, { suspended: { until: '2025-02-01T00:00:00Z', reason: 'spam' } });
    expect(accountActions(suspended, now)).toEqual({ ...none, unsuspend: true, deactivate: true, erase: true });
    const erasing = user(1, { erasure: { requested_at: '2025-01-17T15:00:00Z', completed_at: null } });
    expect(accountState(erasing, now)).toEqual({ kind: 'erasing' });
    expect(accountActions(erasing, now)).toEqual(none);
    // Someone who left is brought back, not suspended; they may still be erased.
    const left = user(1, { deactivated_at: '2025-01-10T09:00:00Z' });
    expect(accountState(left, now)).toEqual({ kind: 'deactivated', since: '2025-01-10T09:00:00Z' });
    expect(accountActions(left, now)).toEqual({ ...none, reactivate: true, erase: true });
  });

  it('follow who left the school and who came back', () => {
    const state = run([{ type: 'userDeactivated', userId: 8, at: '2025-01-17T16:00:00Z' }], found);
    expect(state.users.users[0]!.deactivated_at).toBe('2025-01-17T16:00:00Z');
    const again = run([{ type: 'userDeactivated', userId: 8, at: '2025-01-17T17:00:00Z' }], state);
    expect(again.users.users[0]!.deactivated_at).toBe('2025-01-17T16:00:00Z');
    expect(run([{ type: 'userReactivated', userId: 8 }], again).users.users[0]!.deactivated_at).toBeNull();
  });

  it('count a suspension that ended by itself as none', () => {
    const ended = user(1, { suspended: { until: '2025-01-01T00:00:00Z', reason: 'spam' } });
    expect(accountState(ended, Date.parse('2025-01-17T16:00:00Z'))).toEqual({ kind: 'active' });
  });
});
