// How every call reaches the server: `request` sends relative, same-origin requests (the
// session is an HttpOnly cookie; the browser adds the Origin header the server checks on
// writes) and turns an `{"error", "code"}` body into a thrown ApiError; the newest event-log
// position this tab has seen goes with the reads that must not be older (`freshness`); a send
// is retried by itself while its answer may still come (`retryingTransient`); a token that ran
// out is renewed, and the request sent again once (`renewSession`).

import type { ErrorCode } from './types';

/** A read-model answer and the event-log position it reflects (`X-Event-Position`). */
export interface Snapshot<T> {
  data: T;
  position: number | null;
  /** The answer's status (a send is 201, or 202 when quiet hours hold it). */
  status: number;
}

export class ApiError extends Error {
  readonly status: number;
  /** The server's own words (`{"error": …}`, English, for developers and logs); null when its answer had none. */
  readonly reason: string | null;
  readonly statusText: string;
  /**
   * What went wrong, for programs (`{"code": …}`, e.g. `guest_session_ended`): stable, what the
   * client switches on (never the words); null when the answer had none. A string, as a newer
   * server may send a code this client does not know yet (`hasCode` compares with known ones).
   */
  readonly code: string | null;
  /** The answer's `Retry-After`, in seconds (429, 503), if it had one. */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    reason: string | null,
    statusText = '',
    code: string | null = null,
    retryAfter: number | null = null,
  ) {
    super(reason ?? `${status} ${statusText}`.trim());
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.statusText = statusText;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * How long a send goes on retrying by itself, with its `Idempotency-Key`, while the answer may
 * still come: the database failing over (503 with `Retry-After`; docs/high-availability.md
 * bounds it well below this), nginx finding no replica (502, 504), the connection lost. After
 * it, the message shows Retry.
 */
export const SEND_RETRY_WINDOW_MS = 30_000;

/** Whether a failed request may be sent again as it is: the server was unavailable, or its answer was lost. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 502 || error.status === 503 || error.status === 504;
  return error instanceof TypeError; // fetch's own failure: no answer at all
}

/**
 * `attempt`, again while it fails transiently (`isTransient`), each time after the server's
 * `Retry-After` (or a second), until `windowMs` has passed; then its last failure. Only for
 * requests the server recognises when repeated (a send's `Idempotency-Key`).
 */
export async function retryingTransient<T>(
  attempt: () => Promise<T>,
  windowMs = SEND_RETRY_WINDOW_MS,
  sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  now = () => Date.now(),
): Promise<T> {
  const deadline = now() + windowMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const left = deadline - now();
      if (!isTransient(error) || left <= 0) throw error;
      const seconds = error instanceof ApiError && error.retryAfter !== null ? error.retryAfter : 1;
      await sleep(Math.min(seconds * 1000, left));
    }
  }
}

/** A field of a parsed answer body (`error`, `code`), if it is a string. */
function fieldOf(parsed: unknown, field: 'error' | 'code'): string | null {
  if (typeof parsed !== 'object' || parsed === null) return null;
  const value = (parsed as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : null;
}

/** The ApiError of a refused request, from its status and parsed body. */
export function refusal(status: number, parsed: unknown, statusText: string, retryAfter: string | null = null): ApiError {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null;
  return new ApiError(status, fieldOf(parsed, 'error'), statusText, fieldOf(parsed, 'code'), seconds);
}

/**
 * Whether the session is over (401, whatever its code: `unauthenticated`, `token_expired`,
 * `guest_session_ended`, or one added later): the user must sign in again.
 */
export function isUnauthorized(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 401;
}

/** Whether `error` is the server's refusal with this `code`. */
export function hasCode(error: unknown, code: ErrorCode): error is ApiError {
  return error instanceof ApiError && error.code === code;
}

/**
 * The newest event-log position this tab has seen: from a snapshot, its own write, or its event
 * stream (`notePosition`). Reads of history and chat lists send it as `X-Min-Event-Position`,
 * so that a server reading from a standby never answers with data older than what is already
 * on screen, or without the message just sent (it waits for the standby, or asks the primary).
 */
let seenPosition = 0;

/** Records a position this tab has seen (ignored unless newer). */
export function notePosition(position: number | null | undefined): void {
  if (typeof position === 'number' && Number.isSafeInteger(position) && position > seenPosition) {
    seenPosition = position;
  }
}

/** After a `reset` (the log is not the one our positions came from): start again from `position`. */
export function resetPosition(position: number): void {
  seenPosition = Number.isSafeInteger(position) && position >= 0 ? position : 0;
}

/** The header that asks for an answer at least as recent as what this tab has seen. */
export function freshness(): Record<string, string> {
  return seenPosition > 0 ? { 'x-min-event-position': String(seenPosition) } : {};
}

/**
 * One request to the API (every module here, and moderationApi.ts, searchApi.ts and pushApi.ts,
 * send theirs through it); `signal` stops it (it then rejects with an `AbortError`).
 */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Snapshot<T>> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } };
  if (signal) init.signal = signal;
  if (body !== undefined) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let { response, parsed } = await exchange(path, init);
  const expired = response.status === 401 && !NOT_RENEWED.includes(path) && renewable(refusal(401, parsed, ''));
  if (expired && (await renewSession())) {
    ({ response, parsed } = await exchange(path, init));
  }
  if (!response.ok) throw refusal(response.status, parsed, response.statusText, response.headers.get('retry-after'));
  const header = response.headers.get('x-event-position');
  const position = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  notePosition(position);
  return { data: parsed as T, position, status: response.status };
}

/** One fetch, and its body parsed (undefined: none, or not JSON). */
async function exchange(path: string, init: RequestInit): Promise<{ response: Response; parsed: unknown }> {
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { response, parsed };
}

/** The paths whose 401 no renewal cures: renewing itself, and signing in or out. */
const NOT_RENEWED = ['/api/sessions/refresh', '/api/logout', '/api/dev/login'];

/**
 * Whether a refusal is the token running out (401 `token_expired`, which the server also says
 * when the browser dropped the token's cookie and kept the refresh one), which `renewSession`
 * cures: no credential at all (a visitor), a session signed out, a deactivated account or a
 * guest's ended session stays refused, and nothing asks for a renewal.
 */
export function renewable(error: unknown): boolean {
  return isUnauthorized(error) && error.code === 'token_expired';
}

let renewing: Promise<boolean> | null = null;

/**
 * Renews this device's session with its refresh cookie (`POST /api/sessions/refresh`: a new
 * token, and the refresh credential rotated), once for all the requests of this tab refused
 * together; whether it did. A device without one (a guest, a token from elsewhere), or whose
 * session ended, answers 401: false.
 */
export function renewSession(): Promise<boolean> {
  renewing ??= fetch('/api/sessions/refresh', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  })
    .then(
      (response) => response.ok,
      () => false,
    )
    .finally(() => {
      renewing = null;
    });
  return renewing;
}

export const get = <T>(path: string) => request<T>('GET', path);
/** A read that must not be older than what this tab has seen (see `seenPosition`). */
export const getFresh = <T>(path: string) => request<T>('GET', path, undefined, freshness());
