// Web Push's requests, through api.ts's `request`: the school's public key (asked only when
// `GET /api/auth/config` says push is on: otherwise it is a 404 `push_disabled`, an error in
// the browser's console on every load), and this browser's subscription registered for the
// person signed in, or deleted.

import { ApiError, authConfig, request } from '../api';
import type { components } from '../generated/api';

type Schemas = components['schemas'];

/** A browser's subscription as `PushSubscription.toJSON()` gives it. */
export type PushSubscriptionBody = Schemas['PushSubscription'];

/** The school's VAPID public key (base64url), or null when push is not set up. */
export async function vapidPublicKey(): Promise<string | null> {
  // A server from before `push` was in its config answers without it: asked, as then.
  if ((await authConfig()).push === false) return null;
  try {
    const { data } = await request<Schemas['VapidPublicKey']>('GET', '/api/push/vapid-public-key');
    return data.public_key;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** Registers (or renews: the same endpoint again is no error) this browser's subscription; 422 `push_endpoint_not_allowed`. */
export async function saveSubscription(subscription: PushSubscriptionBody): Promise<void> {
  await request<Schemas['Subscribed']>('POST', '/api/push/subscriptions', subscription);
}

/** Deletes this browser's subscription (one that is not ours, or gone already, is no error). */
export async function deleteSubscription(endpoint: string): Promise<void> {
  try {
    await request<void>('DELETE', '/api/push/subscriptions', { endpoint });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
}

/** Whether `error` says the server does not accept this browser's push service. */
export function isEndpointRefused(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'push_endpoint_not_allowed' || error.status === 422);
}
