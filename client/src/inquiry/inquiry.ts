// Inquiries, as pure functions: which page a visit lands on, what a visitor may give as a
// name and a first question, what an inquiry link's form sends, which chat is a guest's, and
// how a guest's session ended.
//
// A visitor opens a teacher's inquiry link (`/inquiry/{token}`, a page of this app) with no
// account. Giving a name and their question makes them a guest: the server opens the chat with
// the question as its first message and sets the guest's credential in an HttpOnly cookie of
// its own, by which the normal API answers them, for their one chat only (everything else is
// refused, so the guest's page asks for nothing else). A reload finds the guest in `/api/me`
// and opens their chat again. Signed-in users keep their own session: if a browser has both
// cookies, the server takes the signed-in one, so a signed-in user opening a link is told to
// use a private window instead.
//
// A guest's session ends with their chat: when the server closes it (idle for long, or its
// link revoked) their stream gets `chat_closed` and then ends, and every later request of
// theirs is answered 401 `guest_session_ended`. What they had on screen stays,
// read-only; a reload shows that the conversation is closed.

import { type ChatContext, type InquiryLink, type Person, type Role, isUnauthorized } from '../api';
import type { ChatItem } from '../chats/model';
import { MAX_MESSAGE_CHARS, messageLength } from '../conversation/compose';

/** Longest guest name, in code points (as the server counts). */
export const MAX_GUEST_NAME_CHARS = 100;

/** Longest first question: a message's limit, in code points. */
export const MAX_QUESTION_CHARS = MAX_MESSAGE_CHARS;

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
  /** A guest whose inquiry chat closed: nothing to show but that (and the link's page again, if on it). */
  | { view: 'guestEnded'; token: string | null }
  | { view: 'signIn' };

/**
 * What a visit shows. `ended`: how `/api/me`'s 401 said a guest's session ended (`guestEndOf`):
 * a closed chat is said so; an expired credential is just nobody (the link's page offers to
 * start again).
 */
export function landing(pathname: string, user: Person | null, ended: GuestEnd | null = null): Landing {
  if (user?.role === 'guest') return { view: 'guest', user };
  const token = inquiryTokenFromPath(pathname);
  if (user === null && ended === 'closed') return { view: 'guestEnded', token };
  if (token !== null) return { view: 'inquiry', token, signedInAs: user };
  return user ? { view: 'workspace', user } : { view: 'signIn' };
}

export type FieldProblem = 'empty' | 'tooLong';

/** Why a visitor's name cannot be sent yet, or null if it can (the server trims it too). */
export function guestNameProblem(name: string): FieldProblem | null {
  const trimmed = name.trim();
  if (isBlank(trimmed)) return 'empty';
  return [...trimmed].length > MAX_GUEST_NAME_CHARS ? 'tooLong' : null;
}

/**
 * Whitespace and the characters that show nothing, as the server counts them for a blank
 * message (Unicode `White_Space`, with U+0085, which `\s` lacks; soft hyphen, zero-width and
 * direction marks, fillers, variation selectors, tags).
 */
const BLANK =
  /^[\s\u0085\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{1D173}-\u{1D17A}\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]*$/u;

/** Whether a text shows nothing: the server refuses it as a message. */
export function isBlank(text: string): boolean {
  return BLANK.test(text);
}

/** Why a visitor's first question cannot be sent yet, or null if it can: a message's rules. */
export function guestQuestionProblem(question: string): FieldProblem | null {
  if (isBlank(question)) return 'empty';
  return messageLength(question.trim()) > MAX_QUESTION_CHARS ? 'tooLong' : null;
}

/** The visitor's form: each field's problem, and what to send once there is none. */
export interface VisitorForm {
  name: FieldProblem | null;
  question: FieldProblem | null;
  /** The body of `POST /api/inquiry/{token}` (both trimmed), or null while a field is not right. */
  send: { name: string; message: string } | null;
}

export function visitorForm(name: string, question: string): VisitorForm {
  const problems = { name: guestNameProblem(name), question: guestQuestionProblem(question) };
  const ready = problems.name === null && problems.question === null;
  return { ...problems, send: ready ? { name: name.trim(), message: question.trim() } : null };
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

/**
 * How a guest's session ended: `closed` with their inquiry chat (idle for long, or its link
 * revoked), `expired` when their credential ran out (or was refused for another reason).
 */
export type GuestEnd = 'closed' | 'expired';

/** The code of the server's 401 for a guest whose chat closed ("this guest session has ended: …"). */
export const GUEST_SESSION_ENDED = 'guest_session_ended';

/** How a refused request says a guest's session ended (any 401), or null if it is no 401. */
export function guestEndOf(error: unknown): GuestEnd | null {
  if (!isUnauthorized(error)) return null;
  return error.code === GUEST_SESSION_ENDED ? 'closed' : 'expired';
}

/**
 * What a page says of a visit's end: for a guest, how their session ended as the workspace
 * knows it, else `closed` for a chat already closed (a list read just before); null while it
 * goes on, and always for signed-in users (they read a closed inquiry as it is).
 */
export function guestEndShown(role: Role, ended: GuestEnd | null, chatClosed: boolean): GuestEnd | null {
  if (role !== 'guest') return null;
  return ended ?? (chatClosed ? 'closed' : null);
}
