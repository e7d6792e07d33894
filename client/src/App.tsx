import { Suspense, useCallback, useEffect, useRef, useState } from 'react';

import { type Person, isUnauthorized, whoAmI } from './api';
import { addressWithoutAuthError, authErrorOf } from './session/auth';
import { errorText } from './errors';
import { Workspace } from './components/Workspace';
import { UpdateBanner } from './pwa/UpdateBanner';
import { useLocale } from './i18n';
import { type GuestEnd, guestEndOf, landing } from './inquiry/inquiry';
import { keepFor, keptPerson, onPersonChange } from './offline/db';
import { followPersonChange, forgetThisDevice, signingOutHere } from './session/forget';
import { SessionProvider } from './session/SessionContext';
import { TITLE } from './useDocumentTitle';
import { useLatest } from './useLatest';
import { GuestWorkspace, InquiryPage, SignIn } from './views';

// What the tab shows: who `/api/me` says we are, and where the visit started (inquiry.ts's
// `landing`): a signed-in user's chats, a guest's one chat, an inquiry link's page for a
// visitor with no account, that a guest's inquiry is closed (their session ended with it), or
// the sign-in page.
type Session =
  | { status: 'checking' }
  | { status: 'unreachable'; error: string }
  | { status: 'signedOut'; notice: 'sessionEnded' | null }
  | { status: 'signedIn'; user: Person }
  | { status: 'guest'; user: Person }
  | { status: 'inquiry'; token: string; signedInAs: Person | null }
  /** A guest's session ended with their inquiry chat (a reload after it closed): nothing to sign in to. */
  | { status: 'guestEnded'; token: string | null };

/** The screen, and above it the news that a new version of the app is ready (pwa/). */
export function App() {
  return (
    <>
      <UpdateBanner />
      <Screen />
    </>
  );
}

function Screen() {
  const { t } = useLocale();
  const words = useLatest(t);
  const [session, setSession] = useState<Session>({ status: 'checking' });
  // A school sign-in that failed came back with `?auth_error=`: said on the sign-in page (until
  // someone signs in), and taken out of the address so that a reload or a shared link does not say it again.
  const [authError, setAuthError] = useState(() => authErrorOf(window.location.search));

  useEffect(() => {
    const address = addressWithoutAuthError(window.location);
    if (address !== null) window.history.replaceState(window.history.state, '', address);
  }, []);

  // When the session of the person `/api/me` named ends (ms since the epoch; null: unknown).
  const expiresAt = useRef<number | null>(null);

  /** Signed in to the workspace: what the device keeps from now on is this person's, until `until`. */
  const signedIn = useCallback((user: Person, until: number | null) => {
    signingOutHere(false);
    keepFor(user, until);
    setSession({ status: 'signedIn', user });
  }, []);

  const check = useCallback(async () => {
    setSession({ status: 'checking' });
    let user: Person | null;
    let ended: GuestEnd | null = null;
    try {
      const answer = await whoAmI();
      user = answer.user;
      expiresAt.current = answer.expiresAt;
    } catch (error) {
      // No network (no answer at all): the person signed in on this device last opens on what
      // it kept for them (offline/), if their session has not ended meanwhile; the server has
      // its say once the network is back.
      const kept = error instanceof TypeError ? keptPerson() : null;
      if (kept !== null && landing(window.location.pathname, kept.person).view === 'workspace') {
        signedIn(kept.person, kept.expiresAt);
        return;
      }
      if (!isUnauthorized(error)) {
        setSession({ status: 'unreachable', error: errorText(error, words.current) });
        return;
      }
      // The session is over (expired, signed out elsewhere, the account deactivated): nothing
      // of it stays on the device, whoever comes next.
      await forgetThisDevice();
      user = null;
      ended = guestEndOf(error);
    }
    const view = landing(window.location.pathname, user, ended);
    switch (view.view) {
      case 'workspace':
        setAuthError(null);
        signedIn(view.user, expiresAt.current);
        break;
      case 'guest':
        setSession({ status: 'guest', user: view.user });
        break;
      case 'inquiry':
        setSession({ status: 'inquiry', token: view.token, signedInAs: view.signedInAs });
        break;
      case 'guestEnded':
        setSession({ status: 'guestEnded', token: view.token });
        break;
      case 'signIn':
        setSession({ status: 'signedOut', notice: null });
        break;
    }
  }, [words, signedIn]);

  useEffect(() => {
    void check();
  }, [check]);

  // The notice is translated when shown, so it follows a language switch. Nothing of the
  // session stays on the device (session/forget.ts).
  const signedOut = useCallback(() => {
    void forgetThisDevice();
    setSession({ status: 'signedOut', notice: 'sessionEnded' });
  }, []);

  // Another tab signed someone else in, or signed out: this one follows.
  const signedInAs = session.status === 'signedIn' ? session.user.id : null;
  useEffect(() => (signedInAs === null ? undefined : onPersonChange(signedInAs, followPersonChange)), [signedInAs]);

  const loading = (
    <div className="splash" aria-busy="true">
      {t('app.loading')}
    </div>
  );
  switch (session.status) {
    case 'checking':
      return loading;
    case 'unreachable':
      return (
        <main className="splash">
          <h1 className="visually-hidden">{TITLE}</h1>
          <p role="alert">{session.error}</p>
          <button type="button" className="button" onClick={() => void check()}>
            {t('app.tryAgain')}
          </button>
        </main>
      );
    case 'signedOut':
      return (
        <Suspense fallback={loading}>
          <SignIn
            notice={session.notice && t('app.sessionEnded')}
            authError={authError}
            onSignedIn={({ user, expiresAt: until }) => {
              setAuthError(null);
              signedIn(user, until);
            }}
          />
        </Suspense>
      );
    case 'signedIn':
      return (
        <SessionProvider key={session.user.id} me={session.user}>
          <Workspace onSignedOut={signedOut} onLoggedOut={() => setSession({ status: 'signedOut', notice: null })} />
        </SessionProvider>
      );
    case 'guest':
      return (
        <SessionProvider key={session.user.id} me={session.user}>
          <Suspense fallback={loading}>
            <GuestWorkspace />
          </Suspense>
        </SessionProvider>
      );
    case 'inquiry':
      return (
        <Suspense fallback={loading}>
          <InquiryPage
            token={session.token}
            signedInAs={session.signedInAs}
            onJoined={(user) => setSession({ status: 'guest', user })}
            onToChats={() => {
              window.history.pushState(null, '', '/');
              if (session.signedInAs) signedIn(session.signedInAs, expiresAt.current);
            }}
          />
        </Suspense>
      );
    case 'guestEnded': {
      // Their cookie is still sent (and refused): the link's page is opened as for nobody.
      const { token } = session;
      return (
        <main className="splash" data-testid="guest-ended" data-reason="closed">
          <h1 className="visually-hidden">{TITLE}</h1>
          <p role="status">{t('inquiry.guestClosed')}</p>
          {token !== null && (
            <button
              type="button"
              className="button"
              data-testid="start-again"
              onClick={() => setSession({ status: 'inquiry', token, signedInAs: null })}
            >
              {t('inquiry.startAgain')}
            </button>
          )}
        </main>
      );
    }
  }
}
