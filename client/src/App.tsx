import { useCallback, useEffect, useState } from 'react';

import { type Person, errorText, isUnauthorized, me } from './api';
import { SignIn } from './components/SignIn';
import { Workspace } from './components/Workspace';

type Session =
  | { status: 'checking' }
  | { status: 'unreachable'; error: string }
  | { status: 'signedOut'; notice: string | null }
  | { status: 'signedIn'; user: Person };

export function App() {
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

  const signedOut = useCallback(
    () => setSession({ status: 'signedOut', notice: 'Your session has ended. Please sign in again.' }),
    [],
  );

  switch (session.status) {
    case 'checking':
      return <div className="splash" aria-busy="true">Loading…</div>;
    case 'unreachable':
      return (
        <div className="splash" role="alert">
          <p>{session.error}</p>
          <button type="button" className="button" onClick={() => void check()}>
            Try again
          </button>
        </div>
      );
    case 'signedOut':
      return <SignIn notice={session.notice} onSignedIn={(user) => setSession({ status: 'signedIn', user })} />;
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
