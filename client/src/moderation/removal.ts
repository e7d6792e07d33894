// What is shown of a message a moderator hid or whose content was removed for good (purged),
// as pure functions: which placeholder a bubble, a quote and a chat's last line show, the
// label of a hidden message an admin still reads, and what may be done with such a message.
//
// - Hidden: participants get it without content or files ("hidden by a moderator"); admins
//   get both, with who hid it and why, and read it marked as hidden.
// - Purged: its content is gone for everyone, for a reason (`retention`: its chat's retention
//   period ended; `erasure`: its author's data was erased on request). A quote and a chat's
//   last line say only that it was purged (`removed`), not why: they say "message removed".
// - Neither can be edited, answered or reported.

import type { TFunction } from 'i18next';

import type { Hidden, PurgeCause, Purged, Removed } from '../api';
import { type PreviewSource, messagePreview } from '../attachments/attachments';

/** Why a message shows a placeholder: hidden, or purged (for a reason, when known). */
export type Removal = { kind: 'hidden' } | { kind: 'purged'; cause: PurgeCause | null };

/** A message's own state: purged first (it is for good), then hidden. */
export function removalOf(message: { hidden: Hidden | null; purged: Purged | null }): Removal | null {
  if (message.purged) return { kind: 'purged', cause: message.purged.cause };
  if (message.hidden) return { kind: 'hidden' };
  return null;
}

/** What a quote or a chat's last message says (`removed`): the cause of a purge is not told there. */
export function removalOfPreview(removed: Removed | null | undefined): Removal | null {
  if (removed === 'purged') return { kind: 'purged', cause: null };
  if (removed === 'hidden') return { kind: 'hidden' };
  return null;
}

/** The placeholder's words. */
export function removalText(removal: Removal, t: TFunction): string {
  if (removal.kind === 'hidden') return t('moderation.placeholder.hidden');
  switch (removal.cause) {
    case 'retention':
      return t('moderation.placeholder.retention');
    case 'erasure':
      return t('moderation.placeholder.erasure');
    default:
      return t('moderation.placeholder.purged');
  }
}

/**
 * What a message shows instead of its content, if anything: purged for everyone; hidden for
 * participants only (`seesHidden`: an admin, who reads it, marked).
 */
export function placeholderOf(
  message: { hidden: Hidden | null; purged: Purged | null },
  seesHidden: boolean,
): Removal | null {
  const removal = removalOf(message);
  return removal?.kind === 'hidden' && seesHidden ? null : removal;
}

/** The mark on a hidden message an admin reads: "Hidden by a moderator: <reason>" (or without a reason). */
export function hiddenLabel(hidden: Hidden, t: TFunction): string {
  const reason = hidden.reason?.trim();
  return reason ? t('moderation.hiddenWithReason', { reason }) : t('moderation.hiddenLabel');
}

/** Whether a message may be edited, answered or reported: not once hidden or purged. */
export function isActionable(message: { hidden: Hidden | null; purged: Purged | null }): boolean {
  return removalOf(message) === null;
}

/** Whether `me` may report `message`: someone else's, neither hidden nor purged (admins never report). */
export function isReportable(
  message: { senderId: number; hidden: Hidden | null; purged: Purged | null },
  me: number,
): boolean {
  return message.senderId !== me && isActionable(message);
}

/** What a chat's last line says of its newest message: the placeholder, else its preview. */
export function lastLineText(message: PreviewSource & { removed?: Removal | null }, t: TFunction): string {
  return message.removed ? removalText(message.removed, t) : messagePreview(message, t);
}
