import { type ReactNode, useEffect, useRef } from 'react';

import { useLocale } from '../i18n';

interface Props {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy: boolean;
  error: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

/** A modal confirmation on the native <dialog> (focus trap, Escape to cancel). */
export function ConfirmDialog({ open, title, children, confirmLabel, busy, error, onConfirm, onCancel }: Props) {
  const { t } = useLocale();
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <h2 id="confirm-title">{title}</h2>
      <div className="dialog-body">{children}</div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button button-quiet" data-testid="cancel-delete" onClick={onCancel} disabled={busy}>
          {t('deleteDialog.cancel')}
        </button>
        <button
          type="button"
          className="button button-danger"
          data-testid="confirm-delete"
          onClick={onConfirm}
          disabled={busy}
          autoFocus
        >
          {busy ? t('deleteDialog.busy') : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
