// What a device keeps of a person, forgotten when their session ends, however it ends: they
// sign out (before the browser leaves for the school provider's sign-out page), a request is
// refused with a 401 (expired, signed out on another copy of the session, the account
// deactivated: on load as much as while the workspace is open), or, offline, the session's end
// has passed (offline/db.ts's `keptPerson`). A shared tablet then shows the next person nothing
// of theirs: not their chats and outbox (offline/), not their unread count on the app's icon
// (pwa/badge.ts), not their notifications (push/). The server says the same to the browser
// (`Clear-Site-Data` on signing out and on those 401s), which also empties its HTTP cache.

import { forgetAll } from '../offline/db';
import { showBadge } from '../pwa/badge';
import { WORKER_URL, dropPushOfEndedSession } from '../push/usePush';

/**
 * Deletes what this device keeps of the person whose session ended (a sign-out has told the
 * server to forget the push subscription already; the browser's is dropped here in any case).
 */
export async function forgetThisDevice(): Promise<void> {
  showBadge(null);
  await Promise.all([forgetAll(), dropPushOfEndedSession()]);
  reinstallShell();
}

/**
 * The server's `Clear-Site-Data` removes the service worker with the rest: installed again, it
 * holds the app's own files only (nobody's data), so that the installed app still opens without
 * a network (on the sign-in page's "cannot reach the server", not the browser's error page).
 */
function reinstallShell(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator) || !window.isSecureContext) return;
  void navigator.serviceWorker.register(WORKER_URL, { scope: '/' }).catch(() => {});
}

/**
 * This tab is signing its person out (true), or has signed someone in (false). While it signs
 * out, the browser's own wipe (the server's `Clear-Site-Data`, which empties localStorage too)
 * reads like another tab's change of person: the tab finishes what it does instead of starting
 * again half-way (before it follows the provider's `end_session_url`).
 */
export function signingOutHere(on: boolean): void {
  signingOut = on;
}

let signingOut = false;

/**
 * Another tab (or the server, with a 409 `expected_user_mismatch`) says this browser is now
 * someone else's, or no one's: the tab starts again from `/api/me`, which says whose (and the
 * last person's kept data is deleted on the way, offline/db.ts's `keepFor`, or `forgetThisDevice`).
 */
export function followPersonChange(): void {
  if (!signingOut) window.location.reload();
}
