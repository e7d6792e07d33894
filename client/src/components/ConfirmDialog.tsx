import type { ReactNode } from 'react';

import { useLocale } from '../i18n';
import { FormDialog } from './FormDialog';

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy: boolean;
  error: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

/** "Delete this message?": a question, Cancel, and the (destructive) answer, focused. */
export function ConfirmDialog({ title, children, confirmLabel, busy, error, onConfirm, onCancel }: Props) {
  const { t } = useLocale();
  const confirm = { label: confirmLabel, busyLabel: t('deleteDialog.busy'), testId: 'confirm-delete', danger: true };
  return (
    <FormDialog
      title={title}
      busy={busy}
      error={error}
      wide={false}
      submit={{ ...confirm, autoFocus: true }}
      onSubmit={onConfirm}
      cancel={{ label: t('deleteDialog.cancel'), testId: 'cancel-delete' }}
      onClose={onCancel}
    >
      <div className="dialog-body">{children}</div>
    </FormDialog>
  );
}
