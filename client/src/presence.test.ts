import { describe, expect, it } from 'vitest';

import type { ChatDetails, ChatSummary, Participant } from './api';
import {
  type Presence,
  type PresenceAction,
  type PresenceMap,
  membersPresence,
  noPresence,
  participantsPresence,
  presenceLabel,
  presenceOf,
  presenceReducer,
} from './presence';
import { i18n } from './i18n';

// The words come from the caller's translator, as components pass theirs.
const en = i18n.getFixedT('en');
const ru = i18n.getFixedT('ru');

const MARIA = 8;
const IVAN = 9;
const T0 = 1_700_000_000_000;
const SEEN = '2025-01-17T12:00:00Z';

const run = (actions: PresenceAction[], start: PresenceMap = noPresence) => actions.reduce(presenceReducer, start);
const snapshot = (requestedAt: number, ...users: Array<[number, boolean, string | null]>): PresenceAction => ({
  type: 'snapshot',
  users: users.map(([userId, online, lastSeen]) => ({ userId, online, lastSeen })),
  requestedAt,
});
const event = (at: number, userId: number, online: boolean, lastSeen: string | null = null): PresenceAction => ({
  type: 'event',
  userId,
  online,
  lastSeen,
  at,
});

describe('presence', () => {
  it('takes what a snapshot says, and knows nothing of anyone else', () => {
    const state = run([snapshot(T0, [MARIA, true, null], [IVAN, false, SEEN])]);
    expect(presenceOf(state, MARIA)).toEqual({ online: true, lastSeen: null });
    expect(presenceOf(state, IVAN)).toEqual({ online: false, lastSeen: SEEN });
    expect(presenceOf(state, 99)).toBeNull();
  });

  it('follows events as they come', () => {
    const state = run([snapshot(T0, [MARIA, true, null]), event(T0 + 10, MARIA, false, SEEN), event(T0 + 20, IVAN, true)]);
    expect(presenceOf(state, MARIA)).toEqual({ online: false, lastSeen: SEEN });
    expect(presenceOf(state, IVAN)).toEqual({ online: true, lastSeen: null });
  });

  it('keeps an event that arrived while the snapshot was in flight (the snapshot may be older)', () => {
    // Requested at T0, Maria went offline at T0 + 5 (event), the answer (read before that) at T0 + 9.
    const state = run([event(T0 + 5, MARIA, false, SEEN), snapshot(T0, [MARIA, true, null], [IVAN, true, null])]);
    expect(presenceOf(state, MARIA)).toEqual({ online: false, lastSeen: SEEN });
    expect(presenceOf(state, IVAN)).toEqual({ online: true, lastSeen: null });
    // An event at the very moment the request was sent wins too.
    expect(presenceOf(run([event(T0, MARIA, false, SEEN), snapshot(T0, [MARIA, true, null])]), MARIA)?.online).toBe(false);
  });

  it('lets a snapshot requested after an event replace it (after a reconnect, events were missed)', () => {
    const state = run([event(T0, MARIA, true), snapshot(T0 + 1, [MARIA, false, SEEN])]);
    expect(presenceOf(state, MARIA)).toEqual({ online: false, lastSeen: SEEN });
  });

  it('lets an event that arrives after a snapshot win over it', () => {
    const state = run([snapshot(T0, [MARIA, false, SEEN]), event(T0 + 1, MARIA, true)]);
    expect(presenceOf(state, MARIA)).toEqual({ online: true, lastSeen: null });
  });

  it('does not let an older snapshot answered late overwrite a newer one', () => {
    const state = run([snapshot(T0 + 100, [MARIA, true, null]), snapshot(T0, [MARIA, false, SEEN])]);
    expect(presenceOf(state, MARIA)?.online).toBe(true);
  });

  it('has no "last seen" while online, and changes nothing for a repeated event', () => {
    const state = run([event(T0, MARIA, true, SEEN)]);
    expect(presenceOf(state, MARIA)).toEqual({ online: true, lastSeen: null });
    expect(run([event(T0, MARIA, true)], state)).toBe(state);
    expect(run([snapshot(T0 - 1, [MARIA, false, SEEN])], state)).toBe(state);
  });

  it('reads the participants of the chat list, skipping those without presence (an older server) and groups', () => {
    const chat = (id: number, participant: ChatSummary['participant']): ChatSummary => ({
      id,
      kind: participant ? 'direct' : 'group',
      title: participant ? null : 'Алгебра',
      context: null,
      subjects: [],
      children: [],
      created_by: null,
      updated_at: '2025-01-17T15:00:00Z',
      participants_count: 2,
      guardians_read: false,
      announcement: false,
      teacher_departed: false,
      audience: null,
      recipients: null,
      closed_at: null,
      ward: null,
      ward_only: false,
      participant,
      last_message: null,
      unread_count: 0,
      last_read_message_id: 0,
      muted: false,
      participant_departed: false,
      archived: false,
    });
    const person = { name: 'x', role: 'student' as const };
    expect(
      participantsPresence([
        chat(1, { ...person, id: MARIA, online: true, last_seen: null }),
        chat(2, { ...person, id: IVAN, online: false, last_seen: SEEN }),
        chat(3, { ...person, id: 10 } as Participant), // a server before presence
        chat(4, null),
      ]),
    ).toEqual([
      { userId: MARIA, online: true, lastSeen: null },
      { userId: IVAN, online: false, lastSeen: SEEN },
    ]);
  });

  it("reads a group's members, online or not", () => {
    const member = { name: 'x', role: 'student' as const, joined_at: '2025-01-17T15:00:00Z' };
    const details: ChatDetails = {
      id: 7,
      kind: 'group',
      title: 'Алгебра',
      context: null,
      subjects: [],
      children: [],
      created_by: IVAN,
      updated_at: '2025-01-17T15:00:00Z',
      participants_count: 2,
      guardians_read: false,
      announcement: false,
      teacher_departed: false,
      audience: null,
      recipients: null,
      closed_at: null,
      created_at: '2025-01-17T15:00:00Z',
      participants: [
        { ...member, id: MARIA, online: true, last_seen: null },
        { ...member, id: IVAN, online: false, last_seen: SEEN },
      ],
    };
    expect(membersPresence(details)).toEqual([
      { userId: MARIA, online: true, lastSeen: null },
      { userId: IVAN, online: false, lastSeen: SEEN },
    ]);
  });
});

// Local times, so the tests hold in any time zone.
const now = new Date(2025, 0, 17, 15, 30);
const seen = (ms: number): Presence => ({ online: false, lastSeen: new Date(now.getTime() - ms).toISOString() });
const seenAt = (...date: [number, number, number, number, number]): Presence => ({
  online: false,
  lastSeen: new Date(...date).toISOString(),
});
const MIN = 60_000;

describe('presence in words, English', () => {
  const label = (p: Presence) => presenceLabel(p, now, en, 'en-US');

  it('says online, offline (never seen) and just now', () => {
    expect(label({ online: true, lastSeen: null })).toBe('online');
    expect(label({ online: false, lastSeen: null })).toBe('offline');
    expect(label(seen(20_000))).toBe('last seen just now');
    expect(label(seen(-30_000))).toBe('last seen just now'); // our clock slightly behind
  });

  it('counts minutes and hours ago, then days, then gives the date', () => {
    expect(label(seen(MIN))).toBe('last seen 1 minute ago');
    expect(label(seen(5 * MIN + 59_000))).toBe('last seen 5 minutes ago');
    expect(label(seen(59 * MIN))).toBe('last seen 59 minutes ago');
    expect(label(seen(60 * MIN))).toBe('last seen 1 hour ago');
    expect(label(seenAt(2025, 0, 17, 9, 0))).toBe('last seen 6 hours ago');
    expect(label(seenAt(2025, 0, 16, 23, 0))).toBe('last seen yesterday');
    expect(label(seenAt(2025, 0, 14, 12, 0))).toBe('last seen 3 days ago');
    expect(label(seenAt(2025, 0, 2, 12, 0))).toBe('last seen on January 2');
    expect(label(seenAt(2024, 11, 2, 12, 0))).toBe('last seen on December 2, 2024');
  });

  it('moves on as time passes', () => {
    const p = seen(30_000);
    expect(presenceLabel(p, now, en, 'en')).toBe('last seen just now');
    expect(presenceLabel(p, new Date(now.getTime() + 2 * MIN), en, 'en')).toBe('last seen 2 minutes ago');
  });
});

describe('presence in words, Russian', () => {
  const label = (p: Presence) => presenceLabel(p, now, ru, 'ru-RU');

  it('says в сети, не в сети and только что', () => {
    expect(label({ online: true, lastSeen: null })).toBe('в сети');
    expect(label({ online: false, lastSeen: null })).toBe('не в сети');
    expect(label(seen(5_000))).toBe('был(а) в сети только что');
  });

  it('agrees minutes and hours with the number', () => {
    expect(label(seen(MIN))).toBe('был(а) в сети 1 минуту назад');
    expect(label(seen(2 * MIN))).toBe('был(а) в сети 2 минуты назад');
    expect(label(seen(5 * MIN))).toBe('был(а) в сети 5 минут назад');
    expect(label(seen(11 * MIN))).toBe('был(а) в сети 11 минут назад');
    expect(label(seen(21 * MIN))).toBe('был(а) в сети 21 минуту назад');
    expect(label(seen(22 * MIN))).toBe('был(а) в сети 22 минуты назад');
    expect(label(seen(25 * MIN))).toBe('был(а) в сети 25 минут назад');
    expect(label(seen(60 * MIN))).toBe('был(а) в сети 1 час назад');
    expect(label(seenAt(2025, 0, 17, 12, 0))).toBe('был(а) в сети 3 часа назад');
    expect(label(seenAt(2025, 0, 17, 9, 0))).toBe('был(а) в сети 6 часов назад');
  });

  it('says вчера, days ago, then the date', () => {
    expect(label(seenAt(2025, 0, 16, 23, 0))).toBe('был(а) в сети вчера');
    expect(label(seenAt(2025, 0, 14, 12, 0))).toBe('был(а) в сети 3 дня назад');
    expect(label(seenAt(2025, 0, 12, 12, 0))).toBe('был(а) в сети 5 дней назад');
    expect(label(seenAt(2025, 0, 2, 12, 0))).toBe('был(а) в сети 2 января');
    expect(label(seenAt(2024, 11, 2, 12, 0))).toBe('был(а) в сети 2 декабря 2024 г.');
  });
});
