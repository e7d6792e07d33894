import { type ReactNode, useEffect, useRef } from 'react';

interface Props {
  /** The id of the element that names the dialog (its heading). */
  labelledBy: string;
  /** While busy, Escape does not close it. */
  busy: boolean;
  onClose: () => void;
  testId?: string;
  /** The wider dialog (forms, lists); a confirmation is narrower. */
  wide?: boolean;
  children: ReactNode;
}

/** A ref for a native <dialog> that is shown as a modal while the component is rendered. */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    return () => el?.close();
  }, []);
  return dialog;
}

/** A modal on the native <dialog> (focus trap, Escape to close), open while it is rendered. */
export function Modal({ labelledBy, busy, onClose, testId, wide = true, children }: Props) {
  const dialog = useModalDialog();

  return (
    <dialog
      ref={dialog}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={labelledBy}
      data-testid={testId}
      onCancel={(event) => {
        // Escape in a dialog opened from this one (Suspend from Moderation) is that dialog's:
        // React passes its cancel on to this one too.
        if (event.target !== event.currentTarget) return;
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      {children}
    </dialog>
  );
}
