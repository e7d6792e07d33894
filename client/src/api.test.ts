import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  ApiError,
  CHAT_PAGE_SIZE,
  adminChats,
  authConfig,
  chats,
  completeLesson,
  endSessionUrlOf,
  hasCode,
  lessons,
  logout,
  messages,
  notePosition,
  openInquiry,
  resetPosition,
  retryingTransient,
  sendMessage,
  signedInOf,
  unreadCount,
} from './api';
import { errorText } from './errors';
import { i18n } from './i18n';

/** A fetch that answers every request with `{}`-ish JSON and `position`, recording headers. */
function serve(position: number | null) {
  const seen: Record<string, string>[] = [];
  vi.stubGlobal('fetch', async (_path: string, init: RequestInit) => {
    seen.push({ ...(init.headers as Record<string, string>) });
    const headers = new Headers({ 'content-type': 'application/json' });
    if (position !== null) headers.set('x-event-position', String(position));
    return new Response('{"chats":[],"messages":[],"has_more":false,"id":1}', { status: 200, headers });
  });
  return seen;
}

describe('who we are, and until when', () => {
  const user = { id: 3, name: 'Мария', role: 'student' as const };
  it('reads the session’s end from /api/me’s answer, and nothing from an older server’s', () => {
    const answer = { user, suspended: null, message_editing: false, session_expires_at: '2026-11-29T10:00:00Z' };
    expect(signedInOf(answer)).toEqual({ user, expiresAt: Date.UTC(2026, 10, 29, 10) });
    const older = { user, suspended: null, message_editing: false } as unknown as Parameters<typeof signedInOf>[0];
    expect(signedInOf(older)).toEqual({ user, expiresAt: null });
  });
});

describe('X-Min-Event-Position', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    resetPosition(0);
  });

  it('is not sent before anything was seen', async () => {
    const seen = serve(null);
    await chats();
    expect(seen[0]?.['x-min-event-position']).toBeUndefined();
  });

  it('asks history and chat lists for at least the newest position seen, from any source', async () => {
    const seen = serve(41);
    await chats(); // a snapshot at 41
    await messages(7);
    expect(seen[1]?.['x-min-event-position']).toBe('41');
    notePosition(57); // an event on the stream
    notePosition(12); // older: ignored
    await messages(7);
    expect(seen[2]?.['x-min-event-position']).toBe('57');
  });

  it('includes the position of our own write, so the next read shows it', async () => {
    const seen = serve(90);
    await sendMessage(7, 'hi', 'key-1');
    expect(seen[0]?.['x-min-event-position']).toBeUndefined(); // writes do not wait
    await chats();
    expect(seen[1]?.['x-min-event-position']).toBe('90');
  });

  it('names the author of a message sent (X-Expected-User), when the caller says who', async () => {
    const seen = serve(null);
    await sendMessage(7, 'hi', 'key-1', null, [], 12);
    await sendMessage(7, 'hi', 'key-2');
    expect(seen.map((headers) => headers['x-expected-user'])).toEqual(['12', undefined]);
  });

  it('starts again from a reset', async () => {
    notePosition(500);
    resetPosition(3);
    const seen = serve(null);
    await messages(1);
    expect(seen[0]?.['x-min-event-position']).toBe('3');
  });
});

describe('history pages', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('asks for the newest page, an older, a newer, or the one around a message', async () => {
    const paths: string[] = [];
    vi.stubGlobal('fetch', async (path: string) => {
      paths.push(path);
      return new Response('{"messages":[],"has_more":false,"has_newer":false}', { status: 200 });
    });
    await messages(7);
    await messages(7, { beforeId: 40 });
    await messages(7, { afterId: 60 });
    await messages(7, { around: 50 });
    expect(paths).toEqual([
      '/api/chats/7/messages?limit=50',
      '/api/chats/7/messages?limit=50&before_id=40',
      '/api/chats/7/messages?limit=50&after_id=60',
      '/api/chats/7/messages?limit=50&around=50',
    ]);
  });
});

describe('lessons', () => {
  afterEach(() => vi.unstubAllGlobals());

  /** A fetch answering `body` with `status`, recording what was asked. */
  function answer(status: number, body: unknown, statusText = '') {
    const asked: { method: string; path: string }[] = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      asked.push({ method: init.method ?? 'GET', path });
      return new Response(JSON.stringify(body), { status, statusText, headers: { 'content-type': 'application/json' } });
    });
    return asked;
  }

  const lesson = {
    id: 3,
    teacher_id: 2,
    student_id: 4,
    status: 'completed',
    scheduled_at: '2025-01-17T12:00:00Z',
    completed_at: '2025-01-17T13:00:00Z',
    teacher_name: 'Иван Петров',
    student_name: 'Alex Kim',
    subject: null,
  };

  it('lists the lessons of a status, or all of them', async () => {
    const asked = answer(200, { lessons: [lesson] });
    expect(await lessons('scheduled')).toEqual([lesson]);
    await lessons();
    expect(asked).toEqual([
      { method: 'GET', path: '/api/lessons?status=scheduled' },
      { method: 'GET', path: '/api/lessons' },
    ]);
  });

  it('completes a lesson and answers its chat', async () => {
    const asked = answer(200, { lesson, chat_id: 44 });
    expect(await completeLesson(3)).toEqual({ lesson, chat_id: 44 });
    expect(asked).toEqual([{ method: 'POST', path: '/api/lessons/3/complete' }]);
  });

  it('rejects with the refusal, said in the reader\'s language from its code (the English sentence kept for developers)', async () => {
    answer(409, { error: 'lesson 3 was cancelled and cannot be completed', code: 'conflict' });
    const error = await completeLesson(3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'conflict', reason: 'lesson 3 was cancelled and cannot be completed' });
    expect(errorText(error, i18n.getFixedT('ru'))).toBe(
      'Это расходится с изменением, сделанным тем временем. Попробуйте ещё раз.',
    );
  });
});

describe('an inquiry opened by a visitor', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends the name and the first question, and keeps no token', async () => {
    const asked: { method: string; path: string; body: unknown }[] = [];
    const guest = { id: 40, name: 'Ольга', role: 'guest' };
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      asked.push({ method: init.method ?? 'GET', path, body: JSON.parse(String(init.body)) });
      const body = { chat_id: 21, user: guest, token: 'secret' };
      return new Response(JSON.stringify(body), { status: 201, headers: { 'content-type': 'application/json' } });
    });
    const opened = await openInquiry('aB3/dE', { name: 'Ольга', message: 'Можно на пробный урок?' });
    expect(opened).toEqual({ chat_id: 21, user: guest });
    expect(asked).toEqual([
      { method: 'POST', path: '/api/inquiry/aB3%2FdE', body: { name: 'Ольга', message: 'Можно на пробный урок?' } },
    ]);
  });
});

describe('a refusal', () => {
  afterEach(() => vi.unstubAllGlobals());

  it("carries the server's code beside its words", async () => {
    const body = { error: 'this guest session has ended: the inquiry chat is closed', code: 'guest_session_ended' };
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(body), { status: 401, statusText: 'Unauthorized' }));
    const error = await chats().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, reason: body.error, code: 'guest_session_ended' });
  });
});

describe('chat lists', () => {
  afterEach(() => vi.unstubAllGlobals());

  /** Records the paths asked; answers an empty page. */
  function record() {
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (path: string) => {
      asked.push(path);
      return new Response('{"chats":[],"next_cursor":null}', { status: 200 });
    });
    return asked;
  }

  it('are always asked a page at a time (without a limit the server answers every chat)', async () => {
    const asked = record();
    await chats();
    await chats({ cursor: '1700000000.5.9' });
    await chats({ q: '  Мария ', limit: 20 });
    await adminChats();
    await adminChats({ cursor: '1.2.3', kind: 'group' });
    expect(CHAT_PAGE_SIZE).toBe(100);
    expect(asked).toEqual([
      '/api/chats?limit=100',
      '/api/chats?limit=100&cursor=1700000000.5.9',
      '/api/chats?limit=20&q=%D0%9C%D0%B0%D1%80%D0%B8%D1%8F',
      '/api/admin/chats?limit=100',
      '/api/admin/chats?limit=100&cursor=1.2.3&kind=group',
    ]);
  });

  it('read a missing next_cursor as the last page', async () => {
    vi.stubGlobal('fetch', async () => new Response('{"chats":[]}', { status: 200 }));
    expect((await chats()).data).toEqual({ chats: [], next_cursor: null });
  });
});

describe('the unread count', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is the server\'s, over all our chats', async () => {
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (path: string) => {
      asked.push(path);
      return new Response('{"unread_count":7,"chats":3}', { status: 200 });
    });
    expect(await unreadCount()).toEqual({ unread_count: 7, chats: 3 });
    expect(asked).toEqual(['/api/unread-count']);
  });
});

describe('hasCode', () => {
  it('compares the refusal\'s code, never its words or only its status', () => {
    const closed = new ApiError(409, 'chat 5 is closed', 'Conflict', 'chat_closed');
    expect(hasCode(closed, 'chat_closed')).toBe(true);
    expect(hasCode(closed, 'conflict')).toBe(false);
    expect(hasCode(new ApiError(409, 'chat 5 is closed', 'Conflict'), 'chat_closed')).toBe(false);
    expect(hasCode(new Error('chat_closed'), 'chat_closed')).toBe(false);
  });
});

describe('signing in and out', () => {
  afterEach(() => vi.unstubAllGlobals());

  /** A fetch answering `body` (none: no body) with `status`, recording what was asked. */
  function answer(status: number, body?: string) {
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      asked.push(`${init.method ?? 'GET'} ${path}`);
      return new Response(body ?? null, { status });
    });
    return asked;
  }

  it("reads the server's sign-in config", async () => {
    const asked = answer(200, '{"oidc":true,"dev_login":false}');
    expect(await authConfig()).toEqual({ oidc: true, dev_login: false });
    expect(asked).toEqual(['GET /api/auth/config']);
  });

  it('rejects when the server has none (an older one: 404, or a page that is not the config)', async () => {
    answer(404, '{"error":"no such route","code":"not_found"}');
    await expect(authConfig()).rejects.toBeInstanceOf(ApiError);
    answer(200, '<!doctype html><title>Tutorchat</title>');
    await expect(authConfig()).rejects.toThrow();
    answer(200, '{"oidc":"yes","dev_login":true}');
    await expect(authConfig()).rejects.toThrow();
  });

  it('signs out with nothing more to do (204)', async () => {
    const asked = answer(204);
    expect(await logout()).toBeNull();
    expect(asked).toEqual(['POST /api/logout']);
  });

  it("answers where the school's provider signs the person out too (200 end_session_url)", async () => {
    const url = 'https://id.school.example/logout?id_token_hint=abc&post_logout_redirect_uri=https%3A%2F%2Fchat.example%2F';
    answer(200, JSON.stringify({ end_session_url: url }));
    expect(await logout()).toBe(url);
  });

  it('goes nowhere else but an absolute http(s) address', () => {
    expect(endSessionUrlOf({ end_session_url: 'http://127.0.0.1:9000/end' })).toBe('http://127.0.0.1:9000/end');
    expect(endSessionUrlOf({ end_session_url: 'javascript:alert(1)' })).toBeNull();
    expect(endSessionUrlOf({ end_session_url: '/relative' })).toBeNull();
    expect(endSessionUrlOf({ end_session_url: 42 })).toBeNull();
    expect(endSessionUrlOf({})).toBeNull();
    expect(endSessionUrlOf(undefined)).toBeNull();
  });

  it('rejects a refused logout', async () => {
    answer(500, '{"error":"database down","code":"internal"}');
    await expect(logout()).rejects.toMatchObject({ status: 500, code: 'internal' });
  });
});

describe('a send through a database failover', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('is sent again with the same Idempotency-Key after each 503, waiting its Retry-After, until it is answered', async () => {
    vi.useFakeTimers();
    const keys: string[] = [];
    const answers = [503, 503, 502, 201];
    vi.stubGlobal('fetch', async (_path: string, init: RequestInit) => {
      keys.push((init.headers as Record<string, string>)['idempotency-key'] ?? '');
      const status = answers.shift() ?? 500;
      const headers = new Headers({ 'content-type': 'application/json' });
      if (status === 503) headers.set('retry-after', '2');
      const body = status === 201 ? '{"id":7,"chat_id":1,"content":"hi"}' : '{"error":"down","code":"unavailable"}';
      return new Response(body, { status, headers });
    });
    const sent = sendMessage(1, 'hi', 'key-1');
    await vi.advanceTimersByTimeAsync(1999);
    expect(keys).toHaveLength(1); // the first Retry-After (2 s) is not over
    await vi.runAllTimersAsync();
    expect(await sent).toMatchObject({ kind: 'sent', message: { id: 7 } });
    expect(keys).toEqual(['key-1', 'key-1', 'key-1', 'key-1']);
  });

  it('gives up after the window with the last failure, and never retries a refusal', async () => {
    let clock = 0;
    const sleep = async (ms: number) => {
      clock += ms;
    };
    let calls = 0;
    const unavailable = () => {
      calls += 1;
      return Promise.reject(new ApiError(503, 'down', '', 'unavailable', 1));
    };
    await expect(retryingTransient(unavailable, 5_000, sleep, () => clock)).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(6); // at 0, 1, 2, 3, 4 and 5 s
    calls = 0;
    const refused = () => {
      calls += 1;
      return Promise.reject(new ApiError(403, 'no', '', 'forbidden'));
    };
    await expect(retryingTransient(refused, 5_000, sleep, () => clock)).rejects.toMatchObject({ status: 403 });
    expect(calls).toBe(1);
  });
});
