import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  type MessageSearch,
  type MessageSearchAction,
  isAsked,
  messageSearchReducer,
  noMessageSearch,
  searchProblem,
} from './messageSearch';
import { type SearchHit, isAbort, searchMessages, searchParams } from './searchApi';

function hit(id: number, chatId = 3): SearchHit {
  return {
    chat_id: chatId,
    message: {
      id,
      sender_id: 8,
      content: `учебник ${id}`,
      created_at: '2025-01-17T15:00:00Z',
      is_edited: false,
      edited_at: null,
      is_deleted: false,
      reply_to: null,
      read_by: [],
      type: 'text',
      attachments: [],
      hidden: null,
      purged: null,
      reactions: [],
      mentions: [],
    } as SearchHit['message'],
    snippet: [
      { text: 'учебник', highlight: true },
      { text: ` ${id}`, highlight: false },
    ],
  };
}

const run = (actions: MessageSearchAction[], start: MessageSearch = noMessageSearch) =>
  actions.reduce(messageSearchReducer, start);
const found = (state: MessageSearch) => state.results.map((h) => h.message.id);

describe('message search state', () => {
  it('loads the first page, then appends the next (each message once)', () => {
    let state = run([{ type: 'asked', query: 'учебник', order: 'relevance', request: 1 }]);
    expect(state.status).toBe('loading');
    state = run([{ type: 'answered', request: 1, results: [hit(9), hit(5)], nextCursor: 'c1' }], state);
    expect(state.status).toBe('ready');
    expect(found(state)).toEqual([9, 5]);
    expect(state.nextCursor).toBe('c1');
    state = run([{ type: 'moreAsked', request: 2 }], state);
    expect(state.more).toBe('loading');
    state = run([{ type: 'answered', request: 2, results: [hit(5), hit(2)], nextCursor: null }], state);
    expect(found(state)).toEqual([9, 5, 2]);
    expect(state.more).toBe('idle');
    expect(state.nextCursor).toBeNull();
    // No next page: nothing more to ask.
    expect(run([{ type: 'moreAsked', request: 3 }], state)).toBe(state);
  });

  it('drops an older answer that arrives after a newer question', () => {
    const state = run([
      { type: 'asked', query: 'уч', order: 'relevance', request: 1 },
      { type: 'asked', query: 'учебник', order: 'relevance', request: 2 },
      { type: 'answered', request: 2, results: [hit(9)], nextCursor: null },
      { type: 'answered', request: 1, results: [hit(1)], nextCursor: 'x' },
      { type: 'failed', request: 1, error: 'late' },
    ]);
    expect(state.query).toBe('учебник');
    expect(found(state)).toEqual([9]);
    expect(state.status).toBe('ready');
  });

  it('fails the first page with its error, and a next page without losing the results', () => {
    const failed = run([
      { type: 'asked', query: 'x', order: 'recent', request: 1 },
      { type: 'failed', request: 1, error: 'The request was not accepted.' },
    ]);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('The request was not accepted.');
    const more = run([
      { type: 'asked', query: 'x', order: 'recent', request: 1 },
      { type: 'answered', request: 1, results: [hit(1)], nextCursor: 'c' },
      { type: 'moreAsked', request: 2 },
      { type: 'failed', request: 2, error: 'offline' },
    ]);
    expect(more.status).toBe('ready');
    expect(found(more)).toEqual([1]);
    expect(more.more).toBe('failed');
    expect(more.moreError).toBe('offline');
  });

  it('forgets the search when cleared, keeping the order chosen; a late answer then changes nothing', () => {
    const state = run([
      { type: 'asked', query: 'x', order: 'recent', request: 4 },
      { type: 'cleared' },
    ]);
    expect(state.query).toBe('');
    expect(state.status).toBe('idle');
    expect(state.order).toBe('recent');
    expect(run([{ type: 'answered', request: 3, results: [hit(1)], nextCursor: null }], state).results).toEqual([]);
  });

  it('knows what is already asked', () => {
    const state = run([{ type: 'asked', query: 'x', order: 'recent', request: 1 }]);
    expect(isAsked(state, 'x', 'recent')).toBe(true);
    expect(isAsked(state, 'x', 'relevance')).toBe(false);
    expect(isAsked(run([{ type: 'failed', request: 1, error: 'e' }], state), 'x', 'recent')).toBe(false);
  });

  it('takes 1–200 characters after trimming (code points, as the server counts)', () => {
    expect(searchProblem('   ')).toBe('empty');
    expect(searchProblem(` ${'я'.repeat(200)} `)).toBeNull();
    expect(searchProblem('я'.repeat(201))).toBe('too-long');
    expect(searchProblem('😀'.repeat(200))).toBeNull();
  });
});

describe('the search request', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends the words, the order, the page size and the cursor', () => {
    expect(String(searchParams({ q: '"домашнее задание"', order: 'recent', before: 'abc' }))).toBe(
      'q=%22%D0%B4%D0%BE%D0%BC%D0%B0%D1%88%D0%BD%D0%B5%D0%B5+%D0%B7%D0%B0%D0%B4%D0%B0%D0%BD%D0%B8%D0%B5%22&order=recent&limit=20&before=abc',
    );
    expect(String(searchParams({ q: 'x', order: 'relevance', chatId: 4 }))).toBe('q=x&order=relevance&limit=20&chat_id=4');
  });

  it('is cancelled by its signal', async () => {
    vi.stubGlobal('fetch', (_path: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      }),
    );
    const controller = new AbortController();
    const asked = searchMessages({ q: 'x', order: 'relevance' }, controller.signal);
    controller.abort();
    const error = await asked.catch((e: unknown) => e);
    expect(isAbort(error)).toBe(true);
    expect(isAbort(new Error('other'))).toBe(false);
  });

  it('reads a page and its cursor', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ results: [hit(1)], next_cursor: null }), { status: 200 }));
    const page = await searchMessages({ q: 'x', order: 'relevance' });
    expect(page.results.map((h) => h.message.id)).toEqual([1]);
    expect(page.next_cursor).toBeNull();
  });
});
