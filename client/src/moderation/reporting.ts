// Reporting a message, as pure functions: whether a reason may be sent (1–500 characters, not
// blank), and what follows the request: a note that a moderator will look at it, the same
// note's "You have already reported this message" for a second report (409
// `already_reported`: not a failure to the person), or the failure in words, kept in the
// dialog to try again.

import type { TFunction } from 'i18next';

import { hasCode } from '../api';
import { errorText } from '../errors';
import { MAX_REPORT_REASON_CHARS } from './moderationApi';

/** Why a reason (of a report, a hide, a suspension, an erasure) cannot be sent yet, or null. */
export function reasonProblem(reason: string, max = MAX_REPORT_REASON_CHARS): 'empty' | 'tooLong' | null {
  const trimmed = reason.trim();
  if (trimmed === '') return 'empty';
  return [...trimmed].length > max ? 'tooLong' : null;
}

/** What the person is told after sending a report. */
export type ReportOutcome =
  | { kind: 'note'; note: 'reported' | 'alreadyReported' }
  | { kind: 'failed'; error: string };

/** The outcome of a report's request: `error` null when it succeeded. */
export function reportOutcome(error: unknown, t: TFunction): ReportOutcome {
  if (error === null) return { kind: 'note', note: 'reported' };
  if (hasCode(error, 'already_reported')) return { kind: 'note', note: 'alreadyReported' };
  return { kind: 'failed', error: errorText(error, t) };
}

/** A note's words. */
export function reportNoteText(note: 'reported' | 'alreadyReported', t: TFunction): string {
  return t(note === 'reported' ? 'moderation.reported' : 'moderation.alreadyReported');
}
