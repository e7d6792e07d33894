import { describe, expect, it } from 'vitest';

import { ApiError } from '../api';
import { i18n } from '../i18n';
import { reasonProblem, reportNoteText, reportOutcome } from './reporting';

const enT = i18n.getFixedT('en');
const ruT = i18n.getFixedT('ru');

describe('a report’s reason', () => {
  it('must say something, in at most 500 characters', () => {
    expect(reasonProblem('')).toBe('empty');
    expect(reasonProblem('   \n')).toBe('empty');
    expect(reasonProblem('spam')).toBeNull();
    expect(reasonProblem('я'.repeat(500))).toBeNull();
    expect(reasonProblem('я'.repeat(501))).toBe('tooLong');
    // Counted in characters, as the server counts them, not UTF-16 units.
    expect(reasonProblem('😀'.repeat(500))).toBeNull();
  });
});

describe('after a report', () => {
  it('tells the person a moderator will look at it', () => {
    const outcome = reportOutcome(null, enT);
    expect(outcome).toEqual({ kind: 'note', note: 'reported' });
    expect(reportNoteText('reported', enT)).toBe('Reported — a moderator will look at it');
    expect(reportNoteText('reported', ruT)).toBe('Жалоба отправлена — модератор её рассмотрит');
  });

  it('says a second report of the same message was made before, as a note, not a failure', () => {
    const again = new ApiError(409, 'already reported', 'Conflict', 'already_reported');
    expect(reportOutcome(again, enT)).toEqual({ kind: 'note', note: 'alreadyReported' });
    expect(reportNoteText('alreadyReported', enT)).toBe('You have already reported this message');
    expect(reportNoteText('alreadyReported', ruT)).toBe('Вы уже пожаловались на это сообщение');
  });

  it('keeps any other refusal as a failure, in the reader’s language', () => {
    const own = new ApiError(422, 'cannot report your own message', 'Unprocessable Entity', 'unprocessable');
    expect(reportOutcome(own, ruT)).toEqual({ kind: 'failed', error: ruT('errors.code.unprocessable') });
    const otherConflict = new ApiError(409, 'conflict', 'Conflict', 'conflict');
    expect(reportOutcome(otherConflict, enT).kind).toBe('failed');
    const suspended = new ApiError(403, 'suspended', 'Forbidden', 'account_suspended');
    expect(reportOutcome(suspended, enT)).toEqual({ kind: 'failed', error: enT('errors.code.account_suspended') });
    expect(reportOutcome(new TypeError('fetch failed'), enT)).toEqual({ kind: 'failed', error: enT('errors.unreachable') });
  });
});
