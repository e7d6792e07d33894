// Signing in, as pure functions of the address and the server's answers: what the sign-in page
// offers (`GET /api/auth/config`: the school's account, the demo's user picker, or neither),
// where the school's sign-in starts (a full-page navigation to `/api/auth/login`, which comes
// back to `return_to` with the session cookie set), and why it failed when it did (the
// `auth_error` the server adds to the address it comes back to: said on the sign-in page, then
// taken out of the address bar).

import type { AuthConfig } from '../api';
import { SIGN_IN_ERROR_CODES, type SignInErrorCode } from '../errorCodes';

export const AUTH_ERROR_PARAM = 'auth_error';

/** What a sign-in page shows: the school's button, the demo's picker; neither: "not configured". */
export interface SignInOffer {
  school: boolean;
  picker: boolean;
}

/**
 * The sign-in page's offer from the server's config, or from none (null: the request failed, as
 * on an older server without it), which shows what the page always showed: the picker.
 */
export function signInOffer(config: AuthConfig | null): SignInOffer {
  if (config === null) return { school: false, picker: true };
  return { school: config.oidc, picker: config.dev_login };
}

/** A query parameter's name, decoded as a form field (`+` a space); a malformed one as it is. */
function paramName(part: string): string {
  const name = part.split('=', 1)[0]!.replaceAll('+', ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * Why a sign-in failed, from a query string (`location.search`): its `auth_error`, null without
 * one. A code this client does not know (a newer server's) is said as `sign_in_failed`.
 */
export function authErrorOf(search: string): SignInErrorCode | null {
  const params = new URLSearchParams(search);
  if (!params.has(AUTH_ERROR_PARAM)) return null;
  const code = params.get(AUTH_ERROR_PARAM);
  return SIGN_IN_ERROR_CODES.find((known) => known === code) ?? 'sign_in_failed';
}

/** `search` (with or without its `?`) without its `auth_error` parameters, the others as they were. */
export function searchWithoutAuthError(search: string): string {
  const query = search.startsWith('?') ? search.slice(1) : search;
  if (query === '') return '';
  const kept = query.split('&').filter((part) => paramName(part) !== AUTH_ERROR_PARAM);
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}

interface Address {
  pathname: string;
  search: string;
  hash: string;
}

/** The address to put in place of this one (`history.replaceState`): without `auth_error`; null when it has none. */
export function addressWithoutAuthError({ pathname, search, hash }: Address): string | null {
  if (!new URLSearchParams(search).has(AUTH_ERROR_PARAM)) return null;
  return `${pathname}${searchWithoutAuthError(search)}${hash}`;
}

/**
 * Where the school's sign-in starts, to come back to this page (its path and query, without
 * `auth_error`: a new attempt is not the failed one).
 */
export function schoolSignInUrl({ pathname, search }: Pick<Address, 'pathname' | 'search'>): string {
  return `/api/auth/login?return_to=${encodeURIComponent(pathname + searchWithoutAuthError(search))}`;
}
