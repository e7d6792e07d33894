// Who is online, by user id, as a pure reducer; and how to say it ("online", "last seen 5
// minutes ago").
//
// Presence comes from two places: snapshots (the chat list's participants, `GET
// /api/presence/{id}`) and `presence` events. Presence is not in the log, so neither carries
// a position; what orders them is time on this tab's clock. A snapshot shows the state at
// some moment after its request was sent; an event shows a change made before it was
// received. So each entry remembers when its information was known to be current (`at`: the
// request's start for a snapshot, arrival for an event), and a snapshot replaces an entry
// only if its request was sent after that: an event that arrives while a snapshot is in
// flight (or after it was applied) wins, and an older snapshot answered late loses to a newer
// one. Events are not replayed after a reconnect, so the stream's owner fetches a snapshot
// again then.

import type { TFunction } from 'i18next';

import type { ChatDetails, ChatSummary } from './api';
import { daysBetween } from './time';

export interface Presence {
  online: boolean;
  /** When their last stream closed (RFC 3339); null while online, and if never seen. */
  lastSeen: string | null;
}

interface Entry extends Presence {
  /** Ms since the epoch when this was known to be current. */
  at: number;
}

export type PresenceMap = ReadonlyMap<number, Entry>;

export type PresenceAction =
  /** What a snapshot requested at `requestedAt` says (only the users it knows about). */
  | { type: 'snapshot'; users: ReadonlyArray<{ userId: number } & Presence>; requestedAt: number }
  /** A `presence` event, received at `at`. */
  | { type: 'event'; userId: number; online: boolean; lastSeen: string | null; at: number };

export const noPresence: PresenceMap = new Map();

const same = (a: Presence, b: Presence) => a.online === b.online && a.lastSeen === b.lastSeen;

function normalised(p: Presence): Presence {
  // Online has no "last seen" (the server says null; a value would be stale).
  return { online: p.online, lastSeen: p.online ? null : p.lastSeen };
}

export function presenceReducer(state: PresenceMap, action: PresenceAction): PresenceMap {
  switch (action.type) {
    case 'snapshot': {
      let next: Map<number, Entry> | null = null;
      for (const user of action.users) {
        const known = state.get(user.userId);
        if (known && known.at >= action.requestedAt) continue; // newer than this snapshot
        next ??= new Map(state);
        next.set(user.userId, { ...normalised(user), at: action.requestedAt });
      }
      return next ?? state;
    }
    case 'event': {
      const known = state.get(action.userId);
      const presence = normalised(action);
      if (known && known.at >= action.at && same(known, presence)) return state;
      return new Map(state).set(action.userId, { ...presence, at: Math.max(action.at, known?.at ?? 0) });
    }
  }
}

/** The presence of the chat list's participants (of direct chats), for those the server told it of. */
export function participantsPresence(chats: readonly ChatSummary[]): Array<{ userId: number } & Presence> {
  return chats.flatMap(({ participant: p }) =>
    p && typeof p.online === 'boolean' ? [{ userId: p.id, online: p.online, lastSeen: p.last_seen ?? null }] : [],
  );
}

/** The presence of a group's members (`GET /api/chats/{id}`). */
export function membersPresence(details: ChatDetails): Array<{ userId: number } & Presence> {
  return details.participants.map((m) => ({ userId: m.id, online: m.online, lastSeen: m.last_seen ?? null }));
}

/** What is known of `userId`'s presence, or null if nothing is. */
export function presenceOf(state: PresenceMap, userId: number): Presence | null {
  const entry = state.get(userId);
  return entry ? { online: entry.online, lastSeen: entry.lastSeen } : null;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * "online", "last seen 5 minutes ago", "last seen yesterday", "last seen on 12 March",
 * "offline" (never seen): the relative part through Intl.RelativeTimeFormat in `locale`, the
 * words around it from `t` (the same language).
 */
export function presenceLabel(presence: Presence, now: Date, t: TFunction, locale = 'en'): string {
  if (presence.online) return t('presence.online');
  if (presence.lastSeen === null) return t('presence.offline');
  const then = new Date(presence.lastSeen);
  if (Number.isNaN(then.getTime())) return t('presence.offline');
  const age = now.getTime() - then.getTime();
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (age < MINUTE) return t('presence.lastSeenJustNow'); // also a clock slightly behind the server's
  if (age < HOUR) return t('presence.lastSeen', { when: relative.format(-Math.floor(age / MINUTE), 'minute') });
  const days = daysBetween(then, now);
  if (days === 0) return t('presence.lastSeen', { when: relative.format(-Math.floor(age / HOUR), 'hour') });
  if (days < 7) return t('presence.lastSeen', { when: relative.format(-days, 'day') });
  const date = then.toLocaleDateString(locale, {
    day: 'numeric',
    month: 'long',
    ...(then.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
  return t('presence.lastSeenOn', { date });
}
