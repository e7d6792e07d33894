// A suspended account, as pure functions: whether a suspension still holds, what the banner
// above the composer says of it ("Your account is suspended until 1 February 2025 at 10:00:
// spam"; "…indefinitely: …"), and the "until" an admin types for one.
//
// A suspended person may still read, but every write is refused (403 `account_suspended`):
// the composer is disabled and the banner says why and until when. Their stream ends when
// they are suspended; `GET /api/me` tells them on reconnecting (useSuspension.ts).

import type { TFunction } from 'i18next';

import type { Suspension } from '../api';
import { fullDateTime } from '../time';

/** `suspension` if it still holds at `now` (a suspension until a time past is over). */
export function activeSuspension(suspension: Suspension | null, now: number): Suspension | null {
  if (!suspension) return null;
  return suspension.until === null || Date.parse(suspension.until) > now ? suspension : null;
}

/** The banner's words, with the date in `locale`. */
export function suspensionText(suspension: Suspension, t: TFunction, locale: string): string {
  const { until, reason } = suspension;
  return until === null
    ? t('suspension.indefinitely', { reason })
    : t('suspension.until', { date: fullDateTime(until, locale), reason });
}

/** What an admin's list says of a suspended person. */
export function suspendedLabel(suspension: Suspension, t: TFunction, locale: string): string {
  const { until, reason } = suspension;
  return until === null
    ? t('moderation.suspendedIndefinitely', { reason })
    : t('moderation.suspendedUntil', { date: fullDateTime(until, locale), reason });
}

/**
 * The `until` of a suspension from a `datetime-local` field (the admin's local time): null for
 * an empty field (indefinitely), else RFC 3339 in UTC; `past` when it is not after `now`,
 * `invalid` when it is no date.
 */
export function untilFromInput(value: string, now: number): string | null | 'past' | 'invalid' {
  if (value.trim() === '') return null;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return 'invalid';
  return at.getTime() > now ? at.toISOString() : 'past';
}
