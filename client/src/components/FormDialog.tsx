import { type FormEvent, type ReactNode, useId } from 'react';

import { Modal } from './Modal';

/** The dialog's main button: what it says (and while busy), and whether it may be pressed now. */
export interface SubmitButton {
  label: string;
  busyLabel?: string;
  testId?: string;
  /** Not ready yet (a required field is empty…); it is disabled while busy anyway. */
  disabled?: boolean;
  /** A destructive action (deleting). */
  danger?: boolean;
  /** Focused when the dialog opens (a confirmation), instead of its first field. */
  autoFocus?: boolean;
}

interface Props {
  title: ReactNode;
  testId?: string;
  /** A request is under way: the buttons wait, and Escape does not close. */
  busy: boolean;
  /** Why the last attempt failed, shown above the buttons. */
  error: string | null;
  /** Before the form, not part of it (a list the dialog manages, a hint). */
  intro?: ReactNode;
  /** The form's fields (or, without `submit`, the dialog's content). */
  children: ReactNode;
  /** Without it the dialog has no form, only its content and the close button. */
  submit?: SubmitButton;
  onSubmit?: () => void;
  /** The button that closes it: "Cancel", "Close". */
  cancel: { label: string; testId?: string };
  onClose: () => void;
  /** Another action, left of the close button (a group's "Leave"). */
  extraAction?: ReactNode;
  /** The wider dialog, for forms and lists (a confirmation is narrow). */
  wide?: boolean;
}

/**
 * Every dialog of the app: a title, its content (a form, usually), the reason the last attempt
 * failed, and its buttons — the same look, keyboard (Enter submits, Escape cancels unless busy)
 * and busy state everywhere. Built on Modal (the native <dialog>).
 */
export function FormDialog(props: Props) {
  const { title, testId, busy, error, intro, children, submit, onSubmit, cancel, onClose, extraAction } = props;
  const headingId = useId();

  const handleSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy && !submit?.disabled) onSubmit?.();
  };

  const actions = (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        {extraAction}
        <button
          type="button"
          className="button button-quiet"
          data-testid={cancel.testId}
          onClick={onClose}
          disabled={busy}
        >
          {cancel.label}
        </button>
        {submit && (
          <button
            type="submit"
            className={submit.danger ? 'button button-danger' : 'button'}
            data-testid={submit.testId}
            disabled={busy || submit.disabled}
            autoFocus={submit.autoFocus}
          >
            {busy && submit.busyLabel ? submit.busyLabel : submit.label}
          </button>
        )}
      </div>
    </>
  );

  return (
    <Modal labelledBy={headingId} busy={busy} onClose={onClose} testId={testId} wide={props.wide ?? true}>
      <div className="group-form">
        <h2 id={headingId}>{title}</h2>
        {intro}
        {submit ? (
          <form className="group-form" onSubmit={handleSubmit}>
            {children}
            {actions}
          </form>
        ) : (
          <>
            {children}
            {actions}
          </>
        )}
      </div>
    </Modal>
  );
}
