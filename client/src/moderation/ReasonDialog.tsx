import { type ReactNode, useState } from 'react';

import { useLocale } from '../i18n';
import { MAX_REPORT_REASON_CHARS } from './moderationApi';
import { reasonProblem } from './reporting';
import { FormDialog } from '../components/FormDialog';

interface Props {
  title: string;
  /** What happens, said before the field. */
  hint: ReactNode;
  /** The reason field's placeholder (an example). */
  placeholder: string;
  submit: { label: string; busyLabel: string; testId: string; danger?: boolean };
  testId: string;
  /** The reason field's test id. */
  fieldTestId: string;
  /** More fields after the reason (a suspension's end). */
  children?: ReactNode;
  /** Those fields are not right yet. */
  blocked?: boolean;
  /** Sends it; rejects with what to say (an Error of words). Closing is the caller's. */
  onSubmit: (reason: string) => Promise<void>;
  onClose: () => void;
}

/**
 * A dialog that asks why (a report, hiding a message, a suspension, an erasure): a hint of what
 * happens, a reason of 1–500 characters, and the action's button, busy while it is sent; a
 * failure stays in the dialog, to try again.
 */
export function ReasonDialog(props: Props) {
  const { t } = useLocale();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const problem = reasonProblem(reason);

  const send = async () => {
    if (problem !== null || props.blocked) return;
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(reason.trim());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormDialog
      title={props.title}
      testId={props.testId}
      busy={busy}
      error={error}
      submit={{ ...props.submit, disabled: problem !== null || props.blocked === true }}
      onSubmit={() => void send()}
      cancel={{ label: t('moderation.cancel'), testId: `${props.testId}-cancel` }}
      onClose={props.onClose}
    >
      {/* A destructive action's consequences are not said in small grey words. */}
      <div className={props.submit.danger ? 'dialog-body' : 'dialog-body muted small'}>{props.hint}</div>
      <label className="field">
        <span className="field-label">{t('moderation.reasonLabel')}</span>
        <textarea
          data-testid={props.fieldTestId}
          value={reason}
          rows={3}
          placeholder={props.placeholder}
          aria-invalid={problem === 'tooLong'}
          onChange={(e) => setReason(e.target.value)}
          autoFocus
        />
        {problem === 'tooLong' && (
          <span className="error small">{t('moderation.reasonTooLong', { max: MAX_REPORT_REASON_CHARS })}</span>
        )}
      </label>
      {props.children}
    </FormDialog>
  );
}
