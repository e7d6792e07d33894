import { type ReactNode, useEffect, useState } from 'react';

import { useLocale } from '../i18n';
import type { Message } from '../conversation/model';
import { reportMessage } from './moderationApi';
import { isReportable } from './removal';
import { reportNoteText, reportOutcome } from './reporting';
import { useSession } from '../session/SessionContext';
import { ReasonDialog } from './ReasonDialog';

export interface MessageModerationProps {
  /** Participants (guests too) may report others' messages; admins never. */
  canReport: boolean;
  /** Admins: hide a message (with a reason) and unhide it; each rejects with what to say. */
  onHide?: (messageId: number, reason: string) => Promise<void>;
  onUnhide?: (messageId: number) => Promise<void>;
}

/** How long the note after a report stays. */
const NOTE_MS = 8_000;

type Note = { kind: 'status' | 'alert'; text: string };

/**
 * What a conversation's messages offer of moderation: "Report" on others' messages (a reason,
 * then a note that a moderator will look at it), and for admins "Hide" (a reason) and
 * "Unhide". `actions` gives a bubble its buttons; `ui` is the dialogs and the note.
 */
export function useMessageModeration(props: MessageModerationProps) {
  const { canReport, onHide, onUnhide } = props;
  const { t } = useLocale();
  const { me } = useSession();
  const [reporting, setReporting] = useState<Message | null>(null);
  const [hiding, setHiding] = useState<Message | null>(null);
  const [note, setNote] = useState<Note | null>(null);

  useEffect(() => {
    if (note?.kind !== 'status') return;
    const timer = setTimeout(() => setNote(null), NOTE_MS);
    return () => clearTimeout(timer);
  }, [note]);

  const report = async (message: Message, reason: string) => {
    let error: unknown = null;
    try {
      await reportMessage(message.id, reason);
    } catch (e) {
      error = e;
    }
    const outcome = reportOutcome(error, t);
    if (outcome.kind === 'failed') throw new Error(outcome.error);
    setReporting(null);
    setNote({ kind: 'status', text: reportNoteText(outcome.note, t) });
  };

  const unhide = (message: Message) => {
    onUnhide?.(message.id).then(
      () => setNote(null),
      (e: unknown) => setNote({ kind: 'alert', text: e instanceof Error ? e.message : String(e) }),
    );
  };

  const actions = (saved: Message | null) => ({
    canReport: canReport && saved !== null && isReportable(saved, me.id),
    canModerate: onHide !== undefined,
    onReport: (message: Message) => setReporting(message),
    onHide: (message: Message) => setHiding(message),
    onUnhide: unhide,
  });

  const ui: ReactNode = (
    <>
      {reporting && (
        <ReasonDialog
          title={t('moderation.reportTitle')}
          hint={t('moderation.reportHint')}
          placeholder={t('moderation.reportPlaceholder')}
          submit={{ label: t('moderation.sendReport'), busyLabel: t('moderation.sending'), testId: 'send-report' }}
          testId="report-dialog"
          fieldTestId="report-reason"
          onSubmit={(reason) => report(reporting, reason)}
          onClose={() => setReporting(null)}
        />
      )}
      {hiding && onHide && (
        <ReasonDialog
          title={t('moderation.hideTitle')}
          hint={t('moderation.hideHint')}
          placeholder={t('moderation.hidePlaceholder')}
          submit={{ label: t('moderation.hide'), busyLabel: t('moderation.hiding'), testId: 'confirm-hide', danger: true }}
          testId="hide-dialog"
          fieldTestId="hide-reason"
          onSubmit={async (reason) => {
            await onHide(hiding.id, reason);
            setHiding(null);
          }}
          onClose={() => setHiding(null)}
        />
      )}
      {note && (
        <div className={`moderation-note ${note.kind}`} role={note.kind} data-testid="moderation-note">
          <span>{note.text}</span>
          <button
            type="button"
            className="icon-button"
            aria-label={t('moderation.dismiss')}
            title={t('moderation.dismiss')}
            onClick={() => setNote(null)}
          >
            ×
          </button>
        </div>
      )}
    </>
  );

  return { actions, ui };
}
