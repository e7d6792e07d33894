import { describe, expect, it } from 'vitest';

import { ApiError } from '../api';
import {
  type PushAction,
  applicationServerKey,
  base64UrlToBytes,
  initialPush,
  openChatRequest,
  pushControl,
  pushReducer,
  sameKey,
} from './push';
import { type PushEnv, type PushSub, abandon, disable, enable, probe, subscriptionBody } from './pushFlow';

/** A P-256 public key as the server publishes it: 65 bytes, 0x04 first, unpadded base64url. */
function publicKey(seed: number): string {
  const bytes = new Uint8Array(65).map((_, i) => (i === 0 ? 4 : (i * seed) % 256));
  return Buffer.from(bytes).toString('base64url');
}

describe('base64url', () => {
  it('decodes unpadded and padded text, with - and _', () => {
    expect([...base64UrlToBytes('-_8')]).toEqual([0xfb, 0xff]);
    expect([...base64UrlToBytes('-_8=')]).toEqual([0xfb, 0xff]);
    expect([...base64UrlToBytes('AQID')]).toEqual([1, 2, 3]);
    expect([...base64UrlToBytes('')]).toEqual([]);
  });

  it('refuses what is not base64url', () => {
    expect(() => base64UrlToBytes('ab+c')).toThrow();
    expect(() => base64UrlToBytes('abcde')).toThrow(); // 5 characters cannot be whole bytes
  });

  it('takes the school’s key only as an uncompressed P-256 point', () => {
    const key = applicationServerKey(publicKey(7));
    expect(key).toHaveLength(65);
    expect(key[0]).toBe(4);
    expect(() => applicationServerKey(Buffer.from(new Uint8Array(64)).toString('base64url'))).toThrow();
    expect(() => applicationServerKey(Buffer.from(new Uint8Array(65)).toString('base64url'))).toThrow(); // not 0x04
  });

  it('compares a subscription’s key with the school’s', () => {
    const key = applicationServerKey(publicKey(7));
    expect(sameKey(key.slice().buffer, key)).toBe(true);
    expect(sameKey(key, key)).toBe(true);
    expect(sameKey(applicationServerKey(publicKey(9)).buffer, key)).toBe(false);
    expect(sameKey(null, key)).toBe(false);
  });
});

describe('the control’s state', () => {
  const run = (actions: PushAction[]) => actions.reduce(pushReducer, initialPush);

  it('is hidden while checking, without support and without push on the server', () => {
    expect(pushControl(initialPush.status)).toBe('hidden');
    expect(pushControl('unsupported')).toBe('hidden');
    expect(pushControl('unavailable')).toBe('hidden');
    expect(pushControl('denied')).toBe('blocked');
    expect(pushControl('off')).toBe('enable');
    expect(pushControl('on')).toBe('disable');
  });

  it('waits while a change is under way, keeps its status on a failure and says why', () => {
    const busy = run([{ type: 'settled', status: 'off' }, { type: 'started', busy: 'enabling' }]);
    expect(busy).toEqual({ status: 'off', busy: 'enabling', error: null });
    const failed = pushReducer(busy, { type: 'failed', error: 'refused' });
    expect(failed).toEqual({ status: 'off', busy: null, error: 'refused' });
    expect(pushReducer(failed, { type: 'errorSeen' }).error).toBeNull();
    expect(pushReducer(failed, { type: 'settled', status: 'on' })).toEqual({ status: 'on', busy: null, error: null });
  });

  it('reads the worker’s request to open a chat', () => {
    expect(openChatRequest({ type: 'open-chat', chat_id: 12 })).toBe(12);
    expect(openChatRequest({ type: 'open-chat', chat_id: '12' })).toBeNull();
    expect(openChatRequest({ type: 'language', chat_id: 12 })).toBeNull();
    expect(openChatRequest(null)).toBeNull();
  });
});

/** A browser and a server to run the steps against, recording what happened. */
function fakeEnv(options: {
  supported?: boolean;
  permission?: NotificationPermission;
  answer?: NotificationPermission;
  serverKey?: string | null;
  subscribed?: string | null; // the key an existing subscription was made with
  owner?: string | null;
  saveFails?: unknown;
}) {
  const log: string[] = [];
  let permission = options.permission ?? 'default';
  let owner = options.owner ?? null;
  const sub = (key: string, endpoint: string): PushSub => ({
    endpoint,
    key: applicationServerKey(key).buffer,
    body: () => ({ endpoint, expirationTime: null, keys: { p256dh: 'p', auth: 'a' } }),
    unsubscribe: async () => {
      log.push(`unsubscribe ${endpoint}`);
      if (current?.endpoint === endpoint) current = null;
      return true;
    },
  });
  let current: PushSub | null = options.subscribed ? sub(options.subscribed, 'https://push.example/old') : null;
  const env: PushEnv = {
    supported: options.supported ?? true,
    permission: () => permission,
    requestPermission: async () => {
      log.push('requestPermission');
      permission = options.answer ?? 'granted';
      return permission;
    },
    current: async () => current,
    subscribe: async (key) => {
      log.push(`subscribe ${key.length}`);
      current = sub(Buffer.from(key).toString('base64url'), 'https://push.example/new');
      return current;
    },
    serverKey: async () => (options.serverKey === undefined ? publicKey(7) : options.serverKey),
    save: async (body) => {
      log.push(`save ${body.endpoint}`);
      if (options.saveFails) throw options.saveFails;
    },
    forget: async (endpoint) => void log.push(`forget ${endpoint}`),
    owner: () => owner,
    setOwner: (next) => {
      owner = next;
    },
  };
  return { env, log, owner: () => owner, current: () => current };
}

describe('on load', () => {
  it('shows nothing where push cannot work, and never asks for permission', async () => {
    const unsupported = fakeEnv({ supported: false });
    expect(await probe(unsupported.env, 1)).toBe('unsupported');
    const disabled = fakeEnv({ serverKey: null });
    expect(await probe(disabled.env, 1)).toBe('unavailable');
    const blocked = fakeEnv({ permission: 'denied' });
    expect(await probe(blocked.env, 1)).toBe('denied');
    const off = fakeEnv({ permission: 'default' });
    expect(await probe(off.env, 1)).toBe('off');
    for (const { log } of [unsupported, disabled, blocked, off]) expect(log).not.toContain('requestPermission');
  });

  it('posts the subscription of the person signed in again', async () => {
    const { env, log } = fakeEnv({ permission: 'granted', subscribed: publicKey(7), owner: '1' });
    expect(await probe(env, 1)).toBe('on');
    expect(log).toEqual(['save https://push.example/old']);
  });

  it('subscribes again when the school changed its key', async () => {
    const { env, log } = fakeEnv({ permission: 'granted', subscribed: publicKey(3), owner: '1' });
    expect(await probe(env, 1)).toBe('on');
    expect(log).toEqual(['unsubscribe https://push.example/old', 'subscribe 65', 'save https://push.example/new']);
  });

  it('drops a subscription made for someone else, and does not post it for us', async () => {
    const { env, log, owner } = fakeEnv({ permission: 'granted', subscribed: publicKey(7), owner: '2' });
    expect(await probe(env, 1)).toBe('off');
    expect(log).toEqual(['unsubscribe https://push.example/old']);
    expect(owner()).toBeNull();
  });

  it('stays on when the server cannot be told now, and turns off when it refuses the push service', async () => {
    const offline = fakeEnv({ permission: 'granted', subscribed: publicKey(7), owner: '1', saveFails: new TypeError('offline') });
    expect(await probe(offline.env, 1)).toBe('on');
    const refused = new ApiError(422, 'no', '', 'push_endpoint_not_allowed');
    const untrusted = fakeEnv({ permission: 'granted', subscribed: publicKey(7), owner: '1', saveFails: refused });
    expect(await probe(untrusted.env, 1)).toBe('off');
    expect(untrusted.current()).toBeNull();
  });
});

describe('enabling and disabling', () => {
  it('asks permission first, subscribes with the school’s key and tells the server', async () => {
    const { env, log, owner } = fakeEnv({ permission: 'default', answer: 'granted' });
    expect(await enable(env, 1)).toBe('on');
    expect(log).toEqual(['requestPermission', 'subscribe 65', 'save https://push.example/new']);
    expect(owner()).toBe('1');
  });

  it('asks in the click itself, before anything is awaited (Safari, iOS: a prompt only from a user gesture)', async () => {
    const { env, log } = fakeEnv({ permission: 'default', answer: 'granted' });
    const enabling = enable(env, 1); // what the click handler runs, synchronously
    expect(log).toEqual(['requestPermission']);
    await enabling;
  });

  it('stops where the person said no, or dismissed the prompt', async () => {
    const denied = fakeEnv({ answer: 'denied' });
    expect(await enable(denied.env, 1)).toBe('denied');
    const dismissed = fakeEnv({ answer: 'default' });
    expect(await enable(dismissed.env, 1)).toBe('off');
    expect([...denied.log, ...dismissed.log]).toEqual(['requestPermission', 'requestPermission']);
  });

  it('rejects when the server refuses the push service, leaving no subscription behind', async () => {
    const refused = new ApiError(422, 'no', '', 'push_endpoint_not_allowed');
    const { env, current, owner } = fakeEnv({ answer: 'granted', saveFails: refused });
    await expect(enable(env, 1)).rejects.toBe(refused);
    expect(current()).toBeNull();
    expect(owner()).toBeNull();
  });

  it('disables: the server forgets it and the browser drops it', async () => {
    const { env, log, owner, current } = fakeEnv({ permission: 'granted', subscribed: publicKey(7), owner: '1' });
    expect(await disable(env)).toBe('off');
    expect(log).toEqual(['forget https://push.example/old', 'unsubscribe https://push.example/old']);
    expect(owner()).toBeNull();
    expect(current()).toBeNull();
  });

  it('abandons a session that ended without a sign-out: the browser drops it, the server (no session now) is not asked', async () => {
    const { env, log, owner, current } = fakeEnv({ permission: 'granted', subscribed: publicKey(7), owner: '1' });
    await abandon(env);
    expect(log).toEqual(['unsubscribe https://push.example/old']);
    expect(owner()).toBeNull();
    expect(current()).toBeNull();
    await abandon(env); // nothing left: nothing happens
    expect(log).toEqual(['unsubscribe https://push.example/old']);
  });

  it('posts what PushSubscription.toJSON() gives, and refuses one without keys', () => {
    const json = { endpoint: 'https://push.example/x', expirationTime: null, keys: { p256dh: 'k', auth: 's' } };
    expect(subscriptionBody(json)).toEqual(json);
    expect(() => subscriptionBody({ endpoint: 'https://push.example/x' })).toThrow();
  });
});
