import { useEffect, useState } from 'react';

import { type SignedIn, authConfig, devLogin } from '../api';
import { type SignInOffer, schoolSignInUrl, signInOffer } from './auth';
import type { SignInErrorCode } from '../errorCodes';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { DevUserPicker } from './DevUserPicker';
import { LanguageSwitch } from '../components/LanguageSwitch';

interface Props {
  notice: string | null;
  /** Why the school's sign-in just failed (the `auth_error` it came back with); gone at the next attempt. */
  authError: SignInErrorCode | null;
  onSignedIn: (signedIn: SignedIn) => void;
}

/**
 * The sign-in page: what the server offers (`GET /api/auth/config`) — the school's account (a
 * full-page navigation to the school's provider and back), the demo's user picker, or neither
 * (not configured). Without the config (an older server), the picker, as before.
 */
export function SignIn({ notice, authError, onSignedIn }: Props) {
  const { t } = useLocale();
  const [offer, setOffer] = useState<SignInOffer | null>(null);
  const [busy, setBusy] = useState<string | null>(null); // 'school' (the page is leaving), or a demo user's email
  const [failure, setFailure] = useState<SignInErrorCode | null>(authError);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    authConfig().then(
      (config) => current && setOffer(signInOffer(config)),
      () => current && setOffer(signInOffer(null)),
    );
    return () => {
      current = false;
    };
  }, []);

  // Back from the provider's page through the browser's history (a page kept in its cache): the button works again.
  useEffect(() => {
    const shown = (event: PageTransitionEvent) => {
      if (event.persisted) setBusy(null);
    };
    window.addEventListener('pageshow', shown);
    return () => window.removeEventListener('pageshow', shown);
  }, []);

  const withSchool = () => {
    setBusy('school');
    setFailure(null);
    setError(null);
    window.location.assign(schoolSignInUrl(window.location));
  };

  const asDemoUser = async (email: string) => {
    setBusy(email);
    setFailure(null);
    setError(null);
    try {
      onSignedIn(await devLogin(email));
    } catch (e) {
      setError(errorText(e, t));
      setBusy(null);
    }
  };

  return (
    <main className="sign-in">
      <div className="sign-in-card">
        <div className="sign-in-top">
          <div className="brand brand-large">
            <span className="brand-mark" aria-hidden="true" />
            Tutorchat
          </div>
          <LanguageSwitch />
        </div>
        <h1>{t('signIn.title')}</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {(failure || error) && (
          <p className="error" role="alert" data-testid="sign-in-error" data-code={failure ?? undefined}>
            {failure ? t(`errors.code.${failure}`) : error}
          </p>
        )}
        {offer === null && (
          <p className="muted" aria-busy="true">
            {t('app.loading')}
          </p>
        )}
        {offer?.school && (
          <button
            type="button"
            className="button sign-in-school"
            data-testid="sign-in-school"
            disabled={busy !== null}
            aria-busy={busy === 'school'}
            onClick={withSchool}
          >
            {t('signIn.school')}
          </button>
        )}
        {offer?.picker && (
          <>
            <p className="muted">{t('signIn.demo')}</p>
            <DevUserPicker busy={busy} onPick={(email) => void asDemoUser(email)} />
          </>
        )}
        {offer && !offer.school && !offer.picker && (
          <p className="muted" data-testid="sign-in-unavailable">
            {t('signIn.notConfigured')}
          </p>
        )}
      </div>
    </main>
  );
}
