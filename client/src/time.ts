// Date and time labels. Pure functions of (timestamp, now, locale), so they are easy to test.
// Dates and clock times come from Intl in `locale` (see i18n.ts `intlLocale`); the few words
// Intl has no fitting short form for ("5 min", "Yesterday") come from the caller's `t` (of the
// same language). Without a locale, English.

import type { TFunction } from 'i18next';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEFAULT_LOCALE = 'en';

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** Whole calendar days from `then` to `now` in local time (0 = same day, 1 = yesterday). */
export function daysBetween(then: Date, now: Date): number {
  return Math.round((startOfDay(now) - startOfDay(then)) / (24 * HOUR));
}

/** "пятница, 10 января" → "Пятница, 10 января" (for headings). */
function capitalised(text: string, locale: string): string {
  return text.charAt(0).toLocaleUpperCase(locale) + text.slice(1);
}

/** The time of day, e.g. "14:05" or "2:05 PM". */
export function clockTime(iso: string, locale = DEFAULT_LOCALE): string {
  return new Date(iso).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** Full date and time, for tooltips. */
export function fullDateTime(iso: string, locale = DEFAULT_LOCALE): string {
  return new Date(iso).toLocaleString(locale, { dateStyle: 'long', timeStyle: 'short' });
}

/** A short age for the chat list: "now", "5 min", "3 h", "Yesterday", "Mon", "12 Mar", "12 Mar 2023". */
export function relativeTime(iso: string, now: Date, t: TFunction, locale = DEFAULT_LOCALE): string {
  const then = new Date(iso);
  const age = now.getTime() - then.getTime();
  if (age < MINUTE) return t('time.now');
  if (age < HOUR) return t('time.minutes', { count: Math.floor(age / MINUTE) });
  const days = daysBetween(then, now);
  if (days === 0) return t('time.hours', { count: Math.floor(age / HOUR) });
  if (days === 1) return t('time.yesterday');
  if (days < 7) return then.toLocaleDateString(locale, { weekday: 'short' });
  if (then.getFullYear() === now.getFullYear()) {
    return then.toLocaleDateString(locale, { day: 'numeric', month: 'short' });
  }
  return then.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** The heading of a day in a conversation: "Today", "Yesterday", or the date. */
export function dayLabel(iso: string, now: Date, t: TFunction, locale = DEFAULT_LOCALE): string {
  const then = new Date(iso);
  const days = daysBetween(then, now);
  if (days === 0) return t('time.today');
  if (days === 1) return t('time.yesterday');
  const sameYear = then.getFullYear() === now.getFullYear();
  const date = then.toLocaleDateString(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
  return capitalised(date, locale);
}

/** A key that is equal for timestamps on the same local day. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}
