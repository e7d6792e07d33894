import { afterEach, describe, expect, it, vi } from 'vitest';

import { vapidPublicKey } from './pushApi';

/** A fetch answering each path from `answers` (status, JSON body), recording what was asked. */
function serve(answers: Record<string, [number, unknown]>) {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (path: string) => {
    asked.push(path);
    const [status, body] = answers[path] ?? [404, { error: 'no such endpoint', code: 'not_found' }];
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  return asked;
}

describe('the school’s push key', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is not asked for when the config says push is off (no 404 in the console)', async () => {
    const asked = serve({ '/api/auth/config': [200, { oidc: false, dev_login: true, push: false }] });
    expect(await vapidPublicKey()).toBeNull();
    expect(asked).toEqual(['/api/auth/config']);
  });

  it('is asked for when push is on', async () => {
    const asked = serve({
      '/api/auth/config': [200, { oidc: false, dev_login: false, push: true }],
      '/api/push/vapid-public-key': [200, { public_key: 'BKey' }],
    });
    expect(await vapidPublicKey()).toBe('BKey');
    expect(asked).toEqual(['/api/auth/config', '/api/push/vapid-public-key']);
  });
});
