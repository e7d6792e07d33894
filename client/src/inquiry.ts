// Inquiries, as pure functions: which page a visit lands on, what a visitor may give as a
// name, what an inquiry link's form sends, and which chat is a guest's.
//
// A visitor opens a teacher's inquiry link (`/inquiry/{token}`, a page of this app) with no
// account. Giving a name makes them a guest: the server sets the guest's credential in an
// HttpOnly cookie of its own, by which the normal API answers them, for their one chat only
// (everything else is 403, so the guest's page asks for nothing else). A reload finds the
// guest in `/api/me` and opens their chat again. Signed-in users keep their own session: if a
// browser has both cookies, the server takes the signed-in one, so a signed-in user opening a
// link is told to use a private window instead.

import type { ChatContext, InquiryLink, Person } from './api';
import type { ChatItem } from './chats';

/** Longest guest name, in code points (as the server counts). */
export const MAX_GUEST_NAME_CHARS = 100;

/** The token of an inquiry page's path (`/inquiry/{token}`), or null if it is not one. */
export function inquiryTokenFromPath(pathname: string): string | null {
  const match = /^\/inquiry\/([^/?#]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null; // a malformed escape: no link of ours
  }
}

/** What a visit shows, from its path and who `/api/me` says we are (null: nobody, a 401). */
export type Landing =
  /** Someone signed in: the chat list and conversations. */
  | { view: 'workspace'; user: Person }
  /** A guest: their one conversation, wherever the visit started. */
  | { view: 'guest'; user: Person }
  /** An inquiry link: what it is about and the name form (or, when signed in, what to do instead). */
  | { view: 'inquiry'; token: string; signedInAs: Person | null }
  | { view: 'signIn' };

export function landing(pathname: string, user: Person | null): Landing {
  if (user?.role === 'guest') return { view: 'guest', user };
  const token = inquiryTokenFromPath(pathname);
  if (token !== null) return { view: 'inquiry', token, signedInAs: user };
  return user ? { view: 'workspace', user } : { view: 'signIn' };
}

/** Why a visitor's name cannot be sent yet, or null if it can (the server trims it too). */
export function guestNameProblem(name: string): 'empty' | 'tooLong' | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'empty';
  return [...trimmed].length > MAX_GUEST_NAME_CHARS ? 'tooLong' : null;
}

/** The context an inquiry link's form sends for a course title (none when it is left blank). */
export function inquiryContext(courseTitle: string): ChatContext | null {
  const title = courseTitle.trim();
  return title === '' ? null : { type: 'course', title };
}

/** The full address of an inquiry link on this site (`origin`, e.g. `location.origin`). */
export function linkUrl(origin: string, link: Pick<InquiryLink, 'url'>): string {
  return /^https?:\/\//i.test(link.url) ? link.url : `${origin.replace(/\/+$/, '')}${link.url}`;
}

/** The guest's chat in their list: their inquiry (the list holds only it). */
export function guestChat(items: readonly ChatItem[]): ChatItem | null {
  return items.find((item) => item.kind === 'inquiry') ?? items[0] ?? null;
}
