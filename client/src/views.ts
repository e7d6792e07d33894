// The views that are not on a signed-in student's first screen, each loaded when it is first
// shown (React.lazy: a chunk of its own, fetched then): the sign-in page, a visitor's and a
// guest's pages, and the dialogs of staff and admins. What a student sees first (the chat list,
// a conversation, the composer) stays in the entry chunk, so it is not a second round trip away.
// Render each inside a <Suspense>. (A group's members panel is lazy in Conversation.tsx itself:
// from here it would close an import cycle through the guest's page.)

import { lazy } from 'react';

export const SignIn = lazy(() => import('./session/SignIn').then((m) => ({ default: m.SignIn })));
export const InquiryPage = lazy(() => import('./inquiry/InquiryPage').then((m) => ({ default: m.InquiryPage })));
export const GuestWorkspace = lazy(() =>
  import('./inquiry/GuestWorkspace').then((m) => ({ default: m.GuestWorkspace })),
);
export const InquiryLinksDialog = lazy(() =>
  import('./inquiry/InquiryLinksDialog').then((m) => ({ default: m.InquiryLinksDialog })),
);
export const ModerationDialog = lazy(() =>
  import('./moderation/ModerationDialog').then((m) => ({ default: m.ModerationDialog })),
);
export const LessonsDialog = lazy(() => import('./lessons/LessonsDialog').then((m) => ({ default: m.LessonsDialog })));
export const NewGroupDialog = lazy(() =>
  import('./components/NewGroupDialog').then((m) => ({ default: m.NewGroupDialog })),
);
export const EmailDialog = lazy(() => import('./email/EmailDialog').then((m) => ({ default: m.EmailDialog })));
export const DevicesDialog = lazy(() => import('./session/DevicesDialog').then((m) => ({ default: m.DevicesDialog })));
export const ReadersDialog = lazy(() => import('./components/ReadersDialog').then((m) => ({ default: m.ReadersDialog })));

/**
 * A chunk that no longer loads is almost always a deploy since this tab opened (the old hashed
 * files are gone): the page is reloaded, once, to get the new version.
 */
export function reloadOnStaleChunks(): void {
  const KEY = 'tutorchat.reloadedForChunks';
  window.addEventListener('vite:preloadError', (event) => {
    try {
      if (sessionStorage.getItem(KEY) === String(Math.floor(Date.now() / 60_000))) return; // reloaded this minute
      sessionStorage.setItem(KEY, String(Math.floor(Date.now() / 60_000)));
    } catch {
      return; // no storage: no way to tell a loop from a first time
    }
    event.preventDefault();
    window.location.reload();
  });
}
