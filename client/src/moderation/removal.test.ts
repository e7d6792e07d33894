import { describe, expect, it } from 'vitest';

import type { Hidden, Purged } from '../api';
import { i18n } from '../i18n';
import { hiddenLabel, isActionable, isReportable, placeholderOf, removalOfPreview, removalText } from './removal';

const enT = i18n.getFixedT('en');
const ruT = i18n.getFixedT('ru');

const hidden: Hidden = { hidden_at: '2025-01-17T16:00:00Z', hidden_by: 1, reason: 'insults' };
const retention: Purged = { purged_at: '2025-01-18T00:00:00Z', cause: 'retention' };
const erasure: Purged = { purged_at: '2025-01-18T00:00:00Z', cause: 'erasure' };
const plain = { hidden: null, purged: null };

describe('the placeholder of a bubble', () => {
  it('is "hidden by a moderator" for a participant, nothing for an admin (who reads it, marked)', () => {
    const message = { hidden, purged: null };
    expect(removalText(placeholderOf(message, false)!, enT)).toBe('hidden by a moderator');
    expect(removalText(placeholderOf(message, false)!, ruT)).toBe('скрыто модератором');
    expect(placeholderOf(message, true)).toBeNull();
  });

  it('says why a message was purged, for everyone, admins too', () => {
    const kept = placeholderOf({ hidden: null, purged: retention }, true)!;
    expect(removalText(kept, enT)).toBe('message removed (retention period)');
    expect(removalText(kept, ruT)).toBe('сообщение удалено по сроку хранения');
    const erased = placeholderOf({ hidden: null, purged: erasure }, false)!;
    expect(removalText(erased, enT)).toBe('message removed (erased on request)');
    expect(removalText(erased, ruT)).toBe('сообщение удалено по запросу на удаление данных');
  });

  it('says purged rather than hidden when a message is both', () => {
    expect(placeholderOf({ hidden, purged: erasure }, true)).toEqual({ kind: 'purged', cause: 'erasure' });
  });

  it('is nothing for a message that is neither', () => {
    expect(placeholderOf(plain, false)).toBeNull();
  });
});

describe('a quote’s and a last line’s placeholder', () => {
  it('comes from `removed`; a purge there does not say why', () => {
    expect(removalText(removalOfPreview('hidden')!, enT)).toBe('hidden by a moderator');
    expect(removalText(removalOfPreview('purged')!, enT)).toBe('message removed');
    expect(removalText(removalOfPreview('purged')!, ruT)).toBe('содержимое сообщения удалено');
    expect(removalOfPreview(null)).toBeNull();
    expect(removalOfPreview(undefined)).toBeNull();
  });
});

describe('an admin’s mark on a hidden message', () => {
  it('gives the reason when there is one', () => {
    expect(hiddenLabel(hidden, enT)).toBe('Hidden by a moderator: insults');
    expect(hiddenLabel(hidden, ruT)).toBe('Скрыто модератором: insults');
    expect(hiddenLabel({ ...hidden, reason: null }, ruT)).toBe('Скрыто модератором');
    expect(hiddenLabel({ hidden_at: hidden.hidden_at, hidden_by: null, reason: '  ' }, enT)).toBe('Hidden by a moderator');
  });
});

describe('what may be done with a message', () => {
  it('is nothing (edit, reply, report) once hidden or purged', () => {
    expect(isActionable(plain)).toBe(true);
    expect(isActionable({ hidden, purged: null })).toBe(false);
    expect(isActionable({ hidden: null, purged: retention })).toBe(false);
  });

  it('reports only someone else’s message that is still shown', () => {
    expect(isReportable({ senderId: 2, ...plain }, 1)).toBe(true);
    expect(isReportable({ senderId: 1, ...plain }, 1)).toBe(false);
    expect(isReportable({ senderId: 2, hidden, purged: null }, 1)).toBe(false);
    expect(isReportable({ senderId: 2, hidden: null, purged: erasure }, 1)).toBe(false);
  });
});
