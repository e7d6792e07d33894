// Web Push's steps, over what the browser and the server offer (`PushEnv`: the browser's in
// usePush.ts, fakes in the tests):
//
// - `probe`, on load: hidden where it cannot work (no support, or the school has not set push
//   up); `denied` where the browser blocks it; `on` when this browser is subscribed for this
//   person — then the subscription is posted again (the server may have lost it; posting is
//   idempotent), and renewed if the school's key changed. A subscription made for someone else
//   (who signed out without turning it off, or whose session ended) is dropped, not handed to
//   whoever signs in next: their notifications must not show here.
// - `enable`, on the person's click only: the browser's permission first (asked in the click,
//   before anything is awaited, as browsers require), then the worker and the subscription
//   with the school's key, then the server.
// - `disable`: the server forgets the subscription and the browser drops it (dropped even when
//   the server cannot be told: the push service then refuses the server's next push, and the
//   server deletes it).
// - `abandon`: the session ended without a sign-out (expired, signed out elsewhere, the account
//   deactivated): the server cannot be told any more, so the browser drops the subscription,
//   which stops the notifications at once; the server deletes its row when the push service
//   refuses its next push.
//
// Which person a subscription is for is kept in localStorage (`PUSH_OWNER_KEY`).

import { applicationServerKey, type PushStatus, sameKey } from './push';
import { type PushSubscriptionBody, isEndpointRefused } from './pushApi';

export const PUSH_OWNER_KEY = 'tutorchat.push.owner';

/** A browser's subscription, as the steps need it. */
export interface PushSub {
  endpoint: string;
  /** The key it was made with (`options.applicationServerKey`). */
  key: ArrayBuffer | null;
  body(): PushSubscriptionBody;
  unsubscribe(): Promise<unknown>;
}

export interface PushEnv {
  supported: boolean;
  permission(): NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  /** This browser's subscription for the app's worker, if any (registers nothing). */
  current(): Promise<PushSub | null>;
  /** Registers the worker if needed and subscribes with `key`. */
  subscribe(key: Uint8Array<ArrayBuffer>): Promise<PushSub>;
  /** The school's public key, or null when push is not set up. */
  serverKey(): Promise<string | null>;
  save(subscription: PushSubscriptionBody): Promise<void>;
  forget(endpoint: string): Promise<void>;
  owner(): string | null;
  setOwner(owner: string | null): void;
}

/** Drops a subscription in the browser (best effort: it may be gone already). */
const drop = (sub: PushSub) => sub.unsubscribe().catch(() => false);

/** What the control shows when the page loads; renews the subscription of the person signed in. */
export async function probe(env: PushEnv, me: number): Promise<PushStatus> {
  if (!env.supported) return 'unsupported';
  const publicKey = await env.serverKey();
  if (publicKey === null) return 'unavailable';
  if (env.permission() === 'denied') return 'denied';
  let sub = await env.current();
  if (sub === null) return 'off';
  if (env.permission() !== 'granted' || env.owner() !== String(me)) {
    await drop(sub);
    env.setOwner(null);
    return 'off';
  }
  const key = applicationServerKey(publicKey);
  if (!sameKey(sub.key, key)) {
    await drop(sub); // the school changed its key: subscriptions made with the old one are dead
    sub = await env.subscribe(key);
  }
  try {
    await env.save(sub.body());
  } catch (error) {
    if (!isEndpointRefused(error)) return 'on'; // saved before; tried again on the next load
    await drop(sub);
    env.setOwner(null);
    return 'off';
  }
  return 'on';
}

/** Turns notifications on (the person clicked): the status it ends in; rejects with what went wrong. */
export async function enable(env: PushEnv, me: number): Promise<PushStatus> {
  const permission = await env.requestPermission();
  if (permission === 'denied') return 'denied';
  if (permission !== 'granted') return 'off'; // the prompt was dismissed
  const publicKey = await env.serverKey();
  if (publicKey === null) return 'unavailable';
  const key = applicationServerKey(publicKey);
  let sub = await env.current();
  if (sub !== null && !sameKey(sub.key, key)) {
    await drop(sub);
    sub = null;
  }
  sub ??= await env.subscribe(key);
  try {
    await env.save(sub.body());
  } catch (error) {
    if (isEndpointRefused(error)) await drop(sub);
    throw error;
  }
  env.setOwner(String(me));
  return 'on';
}

/** Turns notifications off in this browser (and tells the server, if it can). */
export async function disable(env: PushEnv): Promise<PushStatus> {
  env.setOwner(null);
  const sub = await env.current();
  if (sub === null) return 'off';
  // Dropped in the browser whatever the server answers: off is off.
  await env.forget(sub.endpoint).catch(() => {});
  await drop(sub);
  return 'off';
}

/** The session ended without a sign-out: the browser drops the subscription, and whose it was. */
export async function abandon(env: PushEnv): Promise<void> {
  env.setOwner(null);
  const sub = await env.current();
  if (sub !== null) await drop(sub);
}

/** The body to post from `PushSubscription.toJSON()`; throws if it lacks the keys. */
export function subscriptionBody(json: PushSubscriptionJSON): PushSubscriptionBody {
  const { endpoint, keys } = json;
  if (!endpoint || !keys?.p256dh || !keys.auth) throw new Error('the browser gave a subscription without its keys');
  return { endpoint, expirationTime: json.expirationTime ?? null, keys: { p256dh: keys.p256dh, auth: keys.auth } };
}
