import { useState } from 'react';

import { useLocale } from '../i18n';
import { untilFromInput } from './suspension';
import { ReasonDialog } from './ReasonDialog';

interface Props {
  name: string;
  /** Rejects with what to say. */
  onSuspend: (reason: string, until: string | null) => Promise<void>;
  onClose: () => void;
}

/** "Suspend …": why, and until when (left empty: indefinitely). */
export function SuspendDialog({ name, onSuspend, onClose }: Props) {
  const { t } = useLocale();
  const [untilText, setUntilText] = useState('');
  const until = untilFromInput(untilText, Date.now());
  const wrong = until === 'past' || until === 'invalid';

  return (
    <ReasonDialog
      title={t('moderation.suspendTitle', { name })}
      hint={t('moderation.suspendHint')}
      placeholder={t('moderation.suspendPlaceholder')}
      submit={{
        label: t('moderation.suspend'),
        busyLabel: t('moderation.suspending'),
        testId: 'confirm-suspend',
        danger: true,
      }}
      testId="suspend-dialog"
      fieldTestId="suspend-reason"
      blocked={wrong}
      onSubmit={async (reason) => {
        const at = untilFromInput(untilText, Date.now());
        if (at === 'past' || at === 'invalid') throw new Error(t('moderation.untilPast'));
        await onSuspend(reason, at);
      }}
      onClose={onClose}
    >
      <label className="field">
        <span className="field-label">{t('moderation.untilLabel')}</span>
        <input
          type="datetime-local"
          data-testid="suspend-until"
          value={untilText}
          aria-invalid={wrong}
          onChange={(e) => setUntilText(e.target.value)}
        />
        {wrong && <span className="error small">{t('moderation.untilPast')}</span>}
      </label>
    </ReasonDialog>
  );
}
