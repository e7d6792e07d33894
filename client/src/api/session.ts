// Who we are and how we sign in and out: `GET /api/me`, the demo's user picker, the sign-in
// configuration, logging out (and the school provider's page to end its session at).

import { get, request } from './request';
import type { DevUser, Person, Schemas, Suspension } from './types';

/**
 * Who signed in, and when their session ends (`session_expires_at`, in milliseconds since the
 * epoch; null when the server did not say, as an older one does not): the device opens what it
 * keeps of them offline until then only (offline/db.ts).
 */
export interface SignedIn {
  user: Person;
  expiresAt: number | null;
}

/** A `MeResponse` (of `/api/me` or a sign-in) as `SignedIn`. */
export function signedInOf(answer: Schemas['MeResponse']): SignedIn {
  const expiresAt = Date.parse((answer as Partial<Schemas['MeResponse']>).session_expires_at ?? '');
  return { user: answer.user, expiresAt: Number.isFinite(expiresAt) ? expiresAt : null };
}

export async function me(): Promise<Person> {
  return (await get<Schemas['MeResponse']>('/api/me')).data.user;
}

/** `GET /api/me`: who we are, and until when. */
export async function whoAmI(): Promise<SignedIn> {
  return signedInOf((await get<Schemas['MeResponse']>('/api/me')).data);
}

/** Whether our account is suspended now, as `GET /api/me` says (null: it is not). */
export async function mySuspension(): Promise<Suspension | null> {
  const { data } = await get<Schemas['MeResponse']>('/api/me');
  return data.suspended ?? null;
}

/** Whether this school lets authors edit their messages (`MESSAGE_EDITING`), as `GET /api/me` says. */
export async function messageEditing(): Promise<boolean> {
  return (await get<Schemas['MeResponse']>('/api/me')).data.message_editing;
}

/** Who read our chats without taking part in them (`GET /api/me/readers`), the latest first. */
export async function myReaders(): Promise<Schemas['Reader'][]> {
  return (await get<Schemas['Readers']>('/api/me/readers')).data.readers;
}

export async function devUsers(): Promise<DevUser[]> {
  return (await get<Schemas['DevUsers']>('/api/dev/users')).data.users;
}

export async function devLogin(email: string): Promise<SignedIn> {
  const body: Schemas['DevLoginRequest'] = { email };
  return signedInOf((await request<Schemas['MeResponse']>('POST', '/api/dev/login', body)).data);
}

/**
 * `GET /api/auth/config` (no session needed): whether signing in with the school's account is
 * configured (`oidc`), and whether the demo's user picker (`/api/dev/users`, `/api/dev/login`)
 * is there (`dev_login`).
 */
export type AuthConfig = Schemas['AuthConfig'];

/** Whether `value` is an `AuthConfig` (an older server answers 404, or anything). */
export function isAuthConfig(value: unknown): value is AuthConfig {
  if (typeof value !== 'object' || value === null) return false;
  // Keyed by the schema's fields: one renamed in the document no longer compiles here.
  const config = value as Partial<Record<keyof AuthConfig, unknown>>;
  return typeof config.oidc === 'boolean' && typeof config.dev_login === 'boolean';
}

/** How one may sign in on this server; rejects when the server does not say (an older one). */
export async function authConfig(): Promise<AuthConfig> {
  const { data } = await get<unknown>('/api/auth/config');
  if (!isAuthConfig(data)) throw new Error('the server does not describe its sign-in (GET /api/auth/config)');
  return data;
}

/**
 * `POST /api/logout`'s 200 answer: the session came from the school's provider, which has a
 * session of its own, ended at `end_session_url` (whose page comes back to the chat's root).
 */
export type LogoutResponse = Schemas['LogoutResponse'];

/** The provider's address to sign out at, from a logout answer: an absolute http(s) URL, else null. */
export function endSessionUrlOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const url = (body as Partial<Record<keyof LogoutResponse, unknown>>).end_session_url;
  if (typeof url !== 'string') return null;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * Ends our session. Answers null when that is all (204), or the school provider's address to
 * go to (`window.location.assign`) so that it signs the person out too (200 `end_session_url`).
 */
export async function logout(): Promise<string | null> {
  const { data } = await request<LogoutResponse | undefined>('POST', '/api/logout');
  return endSessionUrlOf(data);
}

/** A signed-in device of ours, as `GET /api/sessions` lists it. */
export type SignedInDevice = Schemas['SignedInDevice'];

/** Our signed-in devices (`GET /api/sessions`), the most recently used first. */
export async function myDevices(): Promise<SignedInDevice[]> {
  return (await get<Schemas['SignedInDevices']>('/api/sessions')).data.sessions;
}

/** Signs one of our devices out (`DELETE /api/sessions/{id}`): it is refused everywhere at once. */
export async function signOutDevice(id: string): Promise<void> {
  await request<undefined>('DELETE', `/api/sessions/${encodeURIComponent(id)}`);
}

/**
 * Signs every device of ours out, this one too (`DELETE /api/sessions`); answers as `logout`
 * does (the school provider's address to go to, or null).
 */
export async function signOutEverywhere(): Promise<string | null> {
  const { data } = await request<LogoutResponse | undefined>('DELETE', '/api/sessions');
  return endSessionUrlOf(data);
}
