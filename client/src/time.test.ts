import { describe, expect, it } from 'vitest';

import { i18n } from './i18n';
import { clockTime, dayKey, dayLabel, daysBetween, fullDateTime, relativeTime } from './time';

// The words come from the caller's translator, as components pass theirs.
const en = i18n.getFixedT('en');
const ru = i18n.getFixedT('ru');

// Local times, so the tests hold in any time zone.
const now = new Date(2025, 0, 17, 15, 30);
const at = (year: number, month: number, day: number, hour: number, minute: number, second = 0) =>
  new Date(year, month, day, hour, minute, second).toISOString();

describe('relativeTime', () => {
  it('says now, minutes and hours today', () => {
    expect(relativeTime(at(2025, 0, 17, 15, 29, 30), now, en)).toBe('now');
    expect(relativeTime(at(2025, 0, 17, 15, 29), now, en)).toBe('1 min');
    expect(relativeTime(at(2025, 0, 17, 15, 40), now, en)).toBe('now'); // a clock slightly ahead
    expect(relativeTime(at(2025, 0, 17, 15, 5), now, en)).toBe('25 min');
    expect(relativeTime(at(2025, 0, 17, 9, 0), now, en)).toBe('6 h');
  });

  it('names yesterday, then weekdays, then dates', () => {
    expect(relativeTime(at(2025, 0, 16, 23, 0), now, en)).toBe('Yesterday');
    expect(relativeTime(at(2025, 0, 13, 12, 0), now, en, 'en-GB')).toBe('Mon');
    expect(relativeTime(at(2025, 0, 2, 12, 0), now, en, 'en-GB')).toBe('2 Jan');
    expect(relativeTime(at(2024, 11, 2, 12, 0), now, en, 'en-GB')).toBe('2 Dec 2024');
  });
});

describe('days', () => {
  it('counts calendar days, not 24-hour spans', () => {
    expect(daysBetween(new Date(2025, 0, 16, 23, 59), new Date(2025, 0, 17, 0, 1))).toBe(1);
    expect(daysBetween(new Date(2025, 0, 17, 0, 1), new Date(2025, 0, 17, 23, 59))).toBe(0);
  });

  it('labels conversation days', () => {
    expect(dayLabel(at(2025, 0, 17, 8, 0), now, en)).toBe('Today');
    expect(dayLabel(at(2025, 0, 16, 8, 0), now, en)).toBe('Yesterday');
    expect(dayLabel(at(2025, 0, 10, 8, 0), now, en, 'en-GB')).toBe('Friday 10 January');
    expect(dayKey(at(2025, 0, 10, 8, 0))).toBe(dayKey(at(2025, 0, 10, 23, 0)));
    expect(dayKey(at(2025, 0, 10, 8, 0))).not.toBe(dayKey(at(2025, 0, 11, 0, 0)));
  });
});

describe('in Russian', () => {
  it('says now, minutes and hours today', () => {
    expect(relativeTime(at(2025, 0, 17, 15, 29, 30), now, ru, 'ru-RU')).toBe('сейчас');
    expect(relativeTime(at(2025, 0, 17, 15, 5), now, ru, 'ru-RU')).toBe('25 мин');
    expect(relativeTime(at(2025, 0, 17, 9, 0), now, ru, 'ru')).toBe('6 ч');
  });

  it('names yesterday, then weekdays, then dates', () => {
    expect(relativeTime(at(2025, 0, 16, 23, 0), now, ru, 'ru-RU')).toBe('Вчера');
    expect(relativeTime(at(2025, 0, 13, 12, 0), now, ru, 'ru-RU')).toBe('пн');
    expect(relativeTime(at(2025, 0, 2, 12, 0), now, ru, 'ru-RU')).toBe('2 янв.');
    expect(relativeTime(at(2024, 11, 2, 12, 0), now, ru, 'ru-RU')).toBe('2 дек. 2024 г.');
  });

  it('labels conversation days, capitalised, and writes the clock in 24 hours', () => {
    expect(dayLabel(at(2025, 0, 17, 8, 0), now, ru, 'ru-RU')).toBe('Сегодня');
    expect(dayLabel(at(2025, 0, 16, 8, 0), now, ru, 'ru-RU')).toBe('Вчера');
    expect(dayLabel(at(2025, 0, 10, 8, 0), now, ru, 'ru-RU')).toBe('Пятница, 10 января');
    expect(dayLabel(at(2024, 0, 10, 8, 0), now, ru, 'ru-RU')).toBe('Среда, 10 января 2024 г.');
    expect(clockTime(at(2025, 0, 17, 14, 5), 'ru-RU')).toBe('14:05');
    expect(fullDateTime(at(2025, 0, 17, 14, 5), 'ru-RU')).toBe('17 января 2025 г. в 14:05');
  });

  it('keeps English words for an English locale', () => {
    expect(clockTime(at(2025, 0, 17, 14, 5), 'en-GB')).toBe('14:05');
    expect(dayLabel(at(2025, 0, 10, 8, 0), now, en, 'en-US')).toBe('Friday, January 10');
    expect(relativeTime(at(2025, 0, 16, 23, 0), now, en, 'en-US')).toBe('Yesterday');
  });
});
