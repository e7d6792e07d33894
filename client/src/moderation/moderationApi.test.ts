import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiError, hasCode, mySuspension } from '../api';
import {
  adminReports,
  adminUsers,
  eraseUser,
  exportUrl,
  hideMessage,
  reportMessage,
  suspendUser,
  unhideMessage,
} from './moderationApi';

/** A fetch answering `status` and `body` (none for 204), recording what was asked. */
function answer(status: number, body?: unknown) {
  const asked: { method: string; path: string; body: unknown }[] = [];
  vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
    asked.push({ method: init.method ?? 'GET', path, body: init.body ? JSON.parse(init.body as string) : undefined });
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  });
  return asked;
}

afterEach(() => vi.unstubAllGlobals());

describe('reporting', () => {
  it('sends the reason and answers the report', async () => {
    const asked = answer(201, { id: 4, message_id: 7, created_at: '2025-01-17T16:00:00Z' });
    expect(await reportMessage(7, 'insults')).toEqual({ id: 4, message_id: 7, created_at: '2025-01-17T16:00:00Z' });
    expect(asked).toEqual([{ method: 'POST', path: '/api/messages/7/report', body: { reason: 'insults' } }]);
  });

  it('rejects a second report with its code', async () => {
    answer(409, { error: 'already reported', code: 'already_reported' });
    const error = await reportMessage(7, 'insults').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(hasCode(error, 'already_reported')).toBe(true);
  });
});

describe('an admin’s requests', () => {
  it('list reports a page at a time: open people’s reports, open flags, or all', async () => {
    const asked = answer(200, { reports: [], next_cursor: null });
    expect(await adminReports('open')).toEqual({ reports: [], next_cursor: null });
    await adminReports('flags');
    await adminReports('all', 'c42');
    expect(asked.map((a) => a.path)).toEqual([
      '/api/admin/reports?state=open&kind=report&limit=50',
      '/api/admin/reports?state=open&kind=flag&limit=50',
      '/api/admin/reports?state=all&limit=50&before=c42',
    ]);
  });

  it('hide with a reason and unhide', async () => {
    const asked = answer(204);
    await hideMessage(7, 'insults');
    await unhideMessage(7);
    expect(asked).toEqual([
      { method: 'POST', path: '/api/admin/messages/7/hide', body: { reason: 'insults' } },
      { method: 'POST', path: '/api/admin/messages/7/unhide', body: undefined },
    ]);
  });

  it('search people and erase one', async () => {
    const asked = answer(200, { users: [] });
    await adminUsers(' Алекс ');
    await adminUsers('');
    const erasing = answer(202, { user_id: 5, requested_at: '2025-01-17T16:00:00Z' });
    expect(await eraseUser(5, 'their request')).toEqual({ user_id: 5, requested_at: '2025-01-17T16:00:00Z' });
    expect(asked.map((a) => a.path)).toEqual([
      `/api/admin/users?limit=50&q=${encodeURIComponent('Алекс').replace(/%20/g, '+')}`,
      '/api/admin/users?limit=50',
    ]);
    expect(erasing).toEqual([{ method: 'POST', path: '/api/admin/users/5/erase', body: { reason: 'their request' } }]);
  });

  it('sends no until for an indefinite suspension', async () => {
    const asked = answer(204);
    await suspendUser(5, 'spam', '2025-02-01T10:00:00.000Z');
    await suspendUser(5, 'spam', null);
    expect(asked.map((a) => a.body)).toEqual([{ reason: 'spam', until: '2025-02-01T10:00:00.000Z' }, { reason: 'spam' }]);
  });
});

describe('our own suspension', () => {
  it('is what GET /api/me says beside the user, or none', async () => {
    const user = { id: 1, name: 'Alex', role: 'student' };
    answer(200, { user, suspended: { until: null, reason: 'spam' } });
    expect(await mySuspension()).toEqual({ until: null, reason: 'spam' });
    answer(200, { user, suspended: null });
    expect(await mySuspension()).toBeNull();
    answer(200, { user }); // a server before moderation
    expect(await mySuspension()).toBeNull();
  });
});

describe('export links', () => {
  it('download a chat in a format, in the UI’s language, optionally as it was at a time', () => {
    expect(exportUrl(12, 'pdf')).toBe('/api/chats/12/export?format=pdf');
    expect(exportUrl(12, 'html', { lang: 'ru' })).toBe('/api/chats/12/export?format=html&lang=ru');
    expect(exportUrl(12, 'json', { at: '2025-01-17T16:00:00Z', lang: 'en' })).toBe(
      '/api/chats/12/export?format=json&at=2025-01-17T16%3A00%3A00Z&lang=en',
    );
  });
});
