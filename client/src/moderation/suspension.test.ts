import { describe, expect, it } from 'vitest';

import { i18n } from '../i18n';
import { activeSuspension, suspendedLabel, suspensionText, untilFromInput } from './suspension';

const enT = i18n.getFixedT('en');
const ruT = i18n.getFixedT('ru');
const now = Date.parse('2025-01-17T16:00:00Z');

describe('the suspended banner', () => {
  it('says until when and why', () => {
    const text = suspensionText({ until: '2025-02-01T10:00:00Z', reason: 'spam' }, enT, 'en');
    expect(text).toMatch(/^Your account is suspended until February 1, 2025.*: spam$/);
    const russian = suspensionText({ until: '2025-02-01T10:00:00Z', reason: 'спам' }, ruT, 'ru');
    expect(russian).toMatch(/^Ваша учётная запись заблокирована до 1 февраля 2025.*: спам$/);
  });

  it('says indefinitely when there is no end', () => {
    expect(suspensionText({ until: null, reason: 'spam' }, enT, 'en')).toBe(
      'Your account is suspended indefinitely: spam',
    );
    expect(suspensionText({ until: null, reason: 'спам' }, ruT, 'ru')).toBe(
      'Ваша учётная запись заблокирована бессрочно: спам',
    );
  });

  it('is shown while the suspension holds, and not after its end', () => {
    const until = { until: '2025-01-17T17:00:00Z', reason: 'spam' };
    expect(activeSuspension(until, now)).toBe(until);
    expect(activeSuspension(until, Date.parse('2025-01-17T17:00:01Z'))).toBeNull();
    const forever = { until: null, reason: 'spam' };
    expect(activeSuspension(forever, now)).toBe(forever);
    expect(activeSuspension(null, now)).toBeNull();
  });
});

describe('an admin’s words for a suspended person', () => {
  it('say until when and why, or indefinitely', () => {
    expect(suspendedLabel({ until: null, reason: 'spam' }, enT, 'en')).toBe('Suspended indefinitely: spam');
    expect(suspendedLabel({ until: '2025-02-01T10:00:00Z', reason: 'spam' }, enT, 'en')).toMatch(/^Suspended until February 1, 2025/);
  });
});

describe('the until of a suspension', () => {
  it('is indefinitely when left empty, and a future instant in UTC otherwise', () => {
    expect(untilFromInput('', now)).toBeNull();
    expect(untilFromInput('  ', now)).toBeNull();
    const until = untilFromInput('2030-05-01T09:30', now);
    expect(until).toMatch(/^2030-05-01T\d\d:30:00\.000Z$|^2030-04-30T\d\d:30:00\.000Z$/);
    expect(Date.parse(until as string)).toBe(new Date('2030-05-01T09:30').getTime());
  });

  it('refuses a time past and something that is no date', () => {
    expect(untilFromInput('2020-01-01T00:00', now)).toBe('past');
    expect(untilFromInput('soon', now)).toBe('invalid');
  });
});
