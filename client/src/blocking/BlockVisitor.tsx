import { useState } from 'react';

import { ConfirmDialog } from '../components/ConfirmDialog';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { blockVisitor } from './blockingApi';

/**
 * "Block visitor" in a teacher's (or an admin's) inquiry conversation: after a confirmation the
 * chat closes (the stream's `chat_closed`, reason `blocked`, makes it read-only) and the link
 * refuses the visitor from then on.
 */
export function BlockVisitor({ chatId }: { chatId: number }) {
  const { t } = useLocale();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await blockVisitor(chatId);
      setOpen(false);
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="button button-quiet header-action"
        data-testid="block-visitor"
        onClick={() => setOpen(true)}
      >
        {t('blocking.block')}
      </button>
      {open && (
        <ConfirmDialog
          title={t('blocking.blockTitle')}
          confirmLabel={t('blocking.blockConfirm')}
          busy={busy}
          error={error}
          onConfirm={() => void confirm()}
          onCancel={() => setOpen(false)}
        >
          {t('blocking.blockHint')}
        </ConfirmDialog>
      )}
    </>
  );
}
