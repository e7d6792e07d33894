import { useState } from 'react';

import { ConfirmDialog } from '../components/ConfirmDialog';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { blockVisitor } from './blockingApi';

/**
 * "Block visitor" in a teacher's (or an admin's) inquiry conversation: after a confirmation the
 * chat closes (the stream's `chat_closed`, reason `blocked`, makes it read-only) and the link
 * refuses the visitor from then on. In a family chat (`family`), "Block" is either member's:
 * the chat closes for good for both, and the school sees it.
 */
export function BlockVisitor({ chatId, family = false }: { chatId: number; family?: boolean }) {
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
        {t(family ? 'blocking.familyBlock' : 'blocking.block')}
      </button>
      {open && (
        <ConfirmDialog
          title={t(family ? 'blocking.familyBlockTitle' : 'blocking.blockTitle')}
          confirmLabel={t('blocking.blockConfirm')}
          busy={busy}
          error={error}
          onConfirm={() => void confirm()}
          onCancel={() => setOpen(false)}
        >
          {t(family ? 'blocking.familyBlockHint' : 'blocking.blockHint')}
        </ConfirmDialog>
      )}
    </>
  );
}
