import { useCallback, useEffect, useState } from 'react';

import { type Person, errorText, isUnauthorized, me } from './api';
import { SignIn } from './components/SignIn';
import { Workspace } from './components/Workspace';
import { useLocale } from './i18n';

type Session =
  | { status: 'checking' }
  | { status: 'unreachable'; error: string }
  | { status: 'signedOut'; notice: 'sessionEnded' | null }
  | { status: 'signedIn'; user: Person };

export function App() {
  const { t } = useLocale();
  const [session, setSession] = useState<Session>({ status: 'checking' });

  const check = useCallback(async () => {
    setSession({ status: 'checking' });
    try {
      setSession({ status: 'signedIn', user: await me() });
    } catch (error) {
      setSession(
        isUnauthorized(error) ? { status: 'signedOut', notice: null } : { status: 'unreachable', error: errorText(error) },
      );
    }
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  // The notice is translated when shown, so it follows a language switch.
  const signedOut = useCallback(() => setSession({ status: 'signedOut', notice: 'sessionEnded' }), []);

  switch (session.status) {
    case 'checking':
      return (
        <div className="splash" aria-busy="true">
          {t('app.loading')}
        </div>
      );
    case 'unreachable':
      return (
        <div className="splash" role="alert">
          <p>{session.error}</p>
          <button type="button" className="button" onClick={() => void check()}>
            {t('app.tryAgain')}
          </button>
        </div>
      );
    case 'signedOut':
      return (
        <SignIn
          notice={session.notice && t('app.sessionEnded')}
          onSignedIn={(user) => setSession({ status: 'signedIn', user })}
        />
      );
    case 'signedIn':
      return (
        <Workspace
          key={session.user.id}
          me={session.user}
          onSignedOut={signedOut}
          onLoggedOut={() => setSession({ status: 'signedOut', notice: null })}
        />
      );
  }
}
