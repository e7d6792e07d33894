// Date and time labels. Pure functions of (timestamp, now), so they are easy to test.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** Whole calendar days from `then` to `now` in local time (0 = same day, 1 = yesterday). */
export function daysBetween(then: Date, now: Date): number {
  return Math.round((startOfDay(now) - startOfDay(then)) / (24 * HOUR));
}

/** The time of day, e.g. "14:05" (in the browser's locale). */
export function clockTime(iso: string, locale?: string): string {
  return new Date(iso).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** Full date and time, for tooltips. */
export function fullDateTime(iso: string, locale?: string): string {
  return new Date(iso).toLocaleString(locale, { dateStyle: 'long', timeStyle: 'short' });
}

/** A short age for the chat list: "now", "5 min", "3 h", "Yesterday", "Mon", "12 Mar", "12 Mar 2023". */
export function relativeTime(iso: string, now: Date, locale?: string): string {
  const then = new Date(iso);
  const age = now.getTime() - then.getTime();
  if (age < MINUTE) return 'now';
  if (age < HOUR) return `${Math.floor(age / MINUTE)} min`;
  const days = daysBetween(then, now);
  if (days === 0) return `${Math.floor(age / HOUR)} h`;
  if (days === 1) return 'Yesterday';
  if (days < 7) return then.toLocaleDateString(locale, { weekday: 'short' });
  if (then.getFullYear() === now.getFullYear()) {
    return then.toLocaleDateString(locale, { day: 'numeric', month: 'short' });
  }
  return then.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** The heading of a day in a conversation: "Today", "Yesterday", or the date. */
export function dayLabel(iso: string, now: Date, locale?: string): string {
  const then = new Date(iso);
  const days = daysBetween(then, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const sameYear = then.getFullYear() === now.getFullYear();
  return then.toLocaleDateString(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

/** A key that is equal for timestamps on the same local day. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}
