// Web Push on this page, the pure part: the school's public key from its base64url text, the
// state of the "Enable notifications" control (a reducer), what the control shows for it, and
// the messages the service worker (src/sw/push.ts) sends the page. The browser's side (permission,
// worker, subscription) is pushFlow.ts's, the hook wiring them usePush.ts.

/**
 * `checking` until known; `unsupported` (no service workers, Push API or notifications, or not
 * a secure context) and `unavailable` (the school has not set push up: 404 `push_disabled`)
 * show nothing; `denied`: the browser blocks this site's notifications (only its settings can
 * allow them again); `off`; `on`: this browser is subscribed for the person signed in.
 */
export type PushStatus = 'checking' | 'unsupported' | 'unavailable' | 'denied' | 'off' | 'on';

export interface PushState {
  status: PushStatus;
  /** A change under way (the control waits). */
  busy: 'enabling' | 'disabling' | null;
  /** Why the last change failed, in words. */
  error: string | null;
}

export const initialPush: PushState = { status: 'checking', busy: null, error: null };

export type PushAction =
  | { type: 'settled'; status: PushStatus }
  | { type: 'started'; busy: 'enabling' | 'disabling' }
  | { type: 'failed'; error: string }
  | { type: 'errorSeen' };

export function pushReducer(state: PushState, action: PushAction): PushState {
  switch (action.type) {
    case 'settled':
      return { status: action.status, busy: null, error: null };
    case 'started':
      return { ...state, busy: action.busy, error: null };
    case 'failed':
      return { ...state, busy: null, error: action.error };
    case 'errorSeen':
      return state.error === null ? state : { ...state, error: null };
  }
}

/** What the control shows: nothing, "Enable", "Disable", or that the browser blocks them. */
export function pushControl(status: PushStatus): 'hidden' | 'enable' | 'disable' | 'blocked' {
  switch (status) {
    case 'checking':
    case 'unsupported':
    case 'unavailable':
      return 'hidden';
    case 'denied':
      return 'blocked';
    case 'off':
      return 'enable';
    case 'on':
      return 'disable';
  }
}

/** The bytes of unpadded (or padded) base64url text; throws on anything else. */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const trimmed = text.trim().replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(trimmed) || trimmed.length % 4 === 1) {
    throw new Error('not base64url');
  }
  const base64 = trimmed.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The school's VAPID public key as `pushManager.subscribe` takes it: an uncompressed P-256 point (65 bytes, 0x04 first). */
export function applicationServerKey(publicKey: string): Uint8Array<ArrayBuffer> {
  const bytes = base64UrlToBytes(publicKey);
  if (bytes.length !== 65 || bytes[0] !== 0x04) throw new Error('the server’s push key is not a P-256 public key');
  return bytes;
}

/** Whether a subscription's key (`subscription.options.applicationServerKey`) is `key`. */
export function sameKey(subscribed: ArrayBuffer | ArrayBufferView | null | undefined, key: Uint8Array): boolean {
  if (!subscribed) return false;
  const bytes =
    subscribed instanceof ArrayBuffer
      ? new Uint8Array(subscribed)
      : new Uint8Array(subscribed.buffer, subscribed.byteOffset, subscribed.byteLength);
  return bytes.length === key.length && bytes.every((byte, i) => byte === key[i]);
}

/** The chat a message of the service worker asks the page to open (`{type: 'open-chat', chat_id}`), or null. */
export function openChatRequest(data: unknown): number | null {
  if (typeof data !== 'object' || data === null) return null;
  const { type, chat_id: chatId } = data as { type?: unknown; chat_id?: unknown };
  return type === 'open-chat' && Number.isSafeInteger(chatId) && (chatId as number) > 0 ? (chatId as number) : null;
}
