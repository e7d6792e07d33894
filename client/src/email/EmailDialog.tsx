import { useEffect, useState } from 'react';

import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { Modal } from '../components/Modal';
import { EMAIL_CHOICES, type EmailChoice, type EmailNotifications, chooseEmail, emailNotifications } from './emailApi';

/**
 * "Email": how the person hears by email of what they have not read while away: at once, in
 * one email a day, or not at all, or as the school decides (its default for their role). Each
 * email also carries a link that turns them off without signing in.
 */
export function EmailDialog({ onClose }: { onClose: () => void }) {
  const { t } = useLocale();
  const [settings, setSettings] = useState<EmailNotifications | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    emailNotifications().then(setSettings, (e: unknown) => setError(errorText(e, t)));
  }, [t]);

  // Shown chosen at once; the server's answer then says what applies (a refusal: as it was).
  const choose = (choice: EmailChoice | null) => {
    const before = settings;
    setBusy(true);
    setError(null);
    setSettings((now) => now && { ...now, choice, effective: choice ?? now.default });
    chooseEmail(choice)
      .then(setSettings, (e: unknown) => {
        setSettings(before);
        setError(errorText(e, t));
      })
      .finally(() => setBusy(false));
  };

  return (
    <Modal labelledBy="email-title" busy={busy} onClose={onClose} testId="email-dialog">
      <h2 id="email-title">{t('email.title')}</h2>
      <p className="muted small">{t('email.intro')}</p>
      {error && <p role="alert">{error}</p>}
      {settings && !settings.available && <p data-testid="email-unavailable">{t('email.unavailable')}</p>}
      {settings && settings.available && (
        <fieldset className="field" disabled={busy}>
          <legend className="field-label">
            {settings.email ? t('email.to', { address: settings.email }) : t('email.noAddress')}
          </legend>
          <label className="pick">
            <input
              type="radio"
              name="email-choice"
              data-testid="email-choice-default"
              checked={settings.choice === null}
              onChange={() => choose(null)}
            />
            <span className="pick-name">{t('email.default', { choice: t(`email.choices.${settings.default}`) })}</span>
          </label>
          {EMAIL_CHOICES.map((choice) => (
            <label className="pick" key={choice}>
              <input
                type="radio"
                name="email-choice"
                data-testid={`email-choice-${choice}`}
                checked={settings.choice === choice}
                onChange={() => choose(choice)}
              />
              <span className="pick-name">{t(`email.choices.${choice}`)}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          {t('email.close')}
        </button>
      </div>
    </Modal>
  );
}
