import { useEffect, useState } from 'react';

import { type DevUser, type Person, devLogin, devUsers } from '../api';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { Avatar } from './Avatar';
import { useLatest } from '../useLatest';
import { LanguageSwitch } from './LanguageSwitch';

interface Props {
  notice: string | null;
  onSignedIn: (user: Person) => void;
}

type Users = { status: 'loading' } | { status: 'ready'; users: DevUser[] } | { status: 'failed'; error: string };

/** Demo sign-in: pick one of the demo users. */
export function SignIn({ notice, onSignedIn }: Props) {
  const { t } = useLocale();
  const words = useLatest(t);
  const [users, setUsers] = useState<Users>({ status: 'loading' });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    devUsers().then(
      (list) => current && setUsers({ status: 'ready', users: list }),
      (e: unknown) => current && setUsers({ status: 'failed', error: errorText(e, words.current) }),
    );
    return () => {
      current = false;
    };
  }, [words]);

  const signIn = async (email: string) => {
    setBusy(email);
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
        <p className="muted">{t('signIn.demo')}</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {users.status === 'loading' && <p className="muted">{t('signIn.loadingUsers')}</p>}
        {users.status === 'failed' && (
          <p className="error" role="alert">
            {users.error}
          </p>
        )}
        {users.status === 'ready' && (
          <ul className="user-list">
            {users.users.map((user) => (
              <li key={user.id}>
                <button
                  type="button"
                  className="user-button"
                  data-testid={`login-${user.email}`}
                  disabled={busy !== null}
                  aria-busy={busy === user.email}
                  onClick={() => void signIn(user.email)}
                >
                  <Avatar person={user} />
                  <span className="user-text">
                    <span className="user-name">{user.name}</span>
                    <span className="muted small">{user.email}</span>
                  </span>
                  <span className={`role role-${user.role}`}>{t(`roles.${user.role}`)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </main>
  );
}
