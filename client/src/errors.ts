// What a person reads of an error, in their language. Every error answer of the server is
// `{"error": "<English sentence>", "code": "<stable_snake_case>"}` (api/request.ts makes it an
// ApiError); the words shown come from its `code` (`errors.code.*` of the locales, which have
// one for every code of the OpenAPI document's `Code`, checked at compile time), else from its
// HTTP status, else from its class (4xx, 5xx). The server's English sentence is never the text
// shown: it is for developers and logs (`ApiError.reason`). Which codes have words is
// errorCodes.ts's (the locales check theirs against it).

import type { TFunction } from 'i18next';

import { ApiError } from './api';
import type { WordedCode } from './errorCodes';
import { currentLanguage, i18n } from './i18n';
import type en from './locales/en';

/** The statuses with words of their own when the answer's code is unknown (or missing). */
type KnownStatus = keyof (typeof en)['errors']['status'];

/** Whether the loaded strings have words for `key` under `errors.<group>` (every language has
 *  the same keys: the locales are typed against errorCodes.ts, and i18n.test.ts compares them). */
function worded(group: 'code' | 'status', key: string): boolean {
  const words: unknown = i18n.getResource(currentLanguage(), 'translation', `errors.${group}`);
  return typeof words === 'object' && words !== null && Object.hasOwn(words, key);
}

/** `code` if this client knows it (a newer server may send one it does not), else null. */
export function knownCode(code: string | null | undefined): WordedCode | null {
  return typeof code === 'string' && worded('code', code) ? (code as WordedCode) : null;
}

function knownStatus(status: number): KnownStatus | null {
  const key = String(status);
  return worded('status', key) ? (key as KnownStatus) : null;
}

/** The words for an error answer with `status` and `code` (the server's sentence is not used). */
export function refusalText(status: number, code: string | null, t: TFunction): string {
  const known = knownCode(code);
  if (known !== null) return t(`errors.code.${known}`);
  const byStatus = knownStatus(status);
  if (byStatus !== null) return t(`errors.status.${byStatus}`);
  return status >= 500 ? t('errors.otherServer', { status }) : t('errors.otherClient', { status });
}

/**
 * A message fit to show a person, whatever was thrown, in the language of `t`: a refusal of the
 * server by its code (else its status); a network failure (a TypeError of `fetch`) as such; an
 * Error of ours (already in words, e.g. a command's rejection) as it is.
 */
export function errorText(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) return refusalText(error.status, error.code, t);
  if (error instanceof TypeError) return t('errors.unreachable');
  if (error instanceof Error) return error.message;
  return String(error);
}
