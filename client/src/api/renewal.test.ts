import { afterEach, describe, expect, it, vi } from 'vitest';

import { chats, isUnauthorized, me } from '../api';

/**
 * A server whose token ran out: every request but the renewal is refused with `code` until the
 * renewal (answered `renewal`) succeeded. Records the paths asked, in order.
 */
function expired(code: string, renewal: number) {
  const asked: string[] = [];
  let renewed = false;
  vi.stubGlobal('fetch', async (path: string) => {
    asked.push(path);
    if (path === '/api/sessions/refresh') {
      await new Promise((resolve) => setTimeout(resolve, 10)); // the other requests' 401s arrive meanwhile
      renewed = renewal === 200;
      return new Response(renewal === 200 ? '{"session_expires_at":"2026-12-01T00:00:00Z"}' : '{"error":"x","code":"session_ended"}', {
        status: renewal,
      });
    }
    if (!renewed) return new Response(JSON.stringify({ error: 'no', code }), { status: 401 });
    const body = path === '/api/me' ? { user: { id: 1, name: 'М', role: 'student' } } : { chats: [], has_more: false };
    return new Response(JSON.stringify(body), { status: 200 });
  });
  return asked;
}

describe('a token that ran out', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is renewed once for the requests refused together, and each is sent again once', async () => {
    const asked = expired('token_expired', 200);
    const [person, list] = await Promise.all([me(), chats()]);
    expect(person.name).toBe('М');
    expect(list.data.chats).toEqual([]);
    expect(asked.filter((p) => p === '/api/sessions/refresh')).toHaveLength(1);
    expect(asked.filter((p) => p === '/api/me')).toHaveLength(2);
  });


  it('signs out when the renewal is refused: the first 401 is what the caller gets', async () => {
    const asked = expired('token_expired', 401);
    const error = await me().catch((e: unknown) => e);
    expect(isUnauthorized(error) && error.code).toBe('token_expired');
    expect(asked).toEqual(['/api/me', '/api/sessions/refresh']);
  });

  it('is not renewed without a session, or when it was signed out or the account deactivated', async () => {
    for (const code of ['unauthenticated', 'session_ended', 'account_deactivated', 'guest_session_ended']) {
      const asked = expired(code, 200);
      const error = await me().catch((e: unknown) => e);
      expect(isUnauthorized(error) && error.code).toBe(code);
      expect(asked).toEqual(['/api/me']);
    }
  });
});
