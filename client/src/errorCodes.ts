// Which error codes have words in the locales (`errors.code.*`): every code of the OpenAPI
// document's `Code`, and the two that only a failed sign-in's `auth_error` carries. Types and
// constants only, below errors.ts and the locales (which check theirs against `WordedCode`).

import type { ErrorCode } from './api';

/**
 * The codes that exist only as the `auth_error` the server adds to the address it sends a
 * failed sign-in with the school's account back to, never as an error answer's `code`:
 * `sign_in_denied` (the provider refused, or the person cancelled) and `sign_in_failed`
 * (anything else). Not in the OpenAPI document's `Code`, so listed here.
 */
export const AUTH_ERROR_ONLY_CODES = ['sign_in_denied', 'sign_in_failed'] as const;
export type AuthErrorOnlyCode = (typeof AUTH_ERROR_ONLY_CODES)[number];

/**
 * What `?auth_error=` may say: those two, and `unknown_user` (a valid school account that no
 * chat user has), which is also a `code` of the generated `Code` (the 403 of any request made
 * with such an account's token).
 */
export const SIGN_IN_ERROR_CODES = ['unknown_user' satisfies ErrorCode, ...AUTH_ERROR_ONLY_CODES] as const;
export type SignInErrorCode = (typeof SIGN_IN_ERROR_CODES)[number];

/** Every code with words in the locales (`errors.code`): the generated ones and the two of `auth_error` only. */
export type WordedCode = ErrorCode | AuthErrorOnlyCode;
