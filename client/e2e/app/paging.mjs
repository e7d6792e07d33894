// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Paging: the
// chat list's pages, loaded as its end comes into view, and a search past them.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setHidden } from '../harness.mjs';
import { UNAVAILABLE, api, screenshot, waitTitle } from './helpers.mjs';
import { alexChat, chatId, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('paging: pages of the chat list give every chat once; the list loads them as its end comes into view, and a search finds chats not loaded yet', async () => {
    const { teacher, admin } = pages;
    // Through the API, pages of 2: every chat once, in the order of the whole list (teacher and admin).
    for (const [page, path] of [[teacher, '/api/chats'], [admin, '/api/admin/chats']]) {
      const all = await api(page, 'GET', `${path}?limit=500`);
      assert.equal(all.body.next_cursor, null);
      const seen = [];
      let cursor = null;
      let count = 0;
      do {
        const query = new URLSearchParams({ limit: '2', ...(cursor ? { cursor } : {}) });
        const answer = await api(page, 'GET', `${path}?${query}`);
        assert.equal(answer.status, 200);
        assert.ok(answer.body.chats.length <= 2);
        seen.push(...answer.body.chats.map((c) => c.id));
        cursor = answer.body.next_cursor;
        count += 1;
      } while (cursor !== null && count < 200);
      assert.ok(count >= 3, `${path}: ${count} pages`);
      assert.deepEqual(seen, all.body.chats.map((c) => c.id), `${path}: every chat once, in order`);
    }

    // Unread messages beyond the first page: Мария writes to Иван (his tab in the background
    // reads nothing), then he writes in another chat, which tops his list.
    await setHidden(teacher, true);
    const note = await api(pages.student, 'POST', '/api/messages', { chat_id: chatId, content: 'Иван Петрович, я прислала задачу 7' });
    assert.equal(note.status, 201);
    const own = await api(teacher, 'POST', '/api/messages', { chat_id: alexChat, content: 'Alex, до завтра 👋' });
    assert.equal(own.status, 201);
    const unread = (await api(teacher, 'GET', '/api/unread-count')).body.unread_count;
    const firstPage = (await api(teacher, 'GET', '/api/chats?limit=1')).body.chats;
    assert.deepEqual(firstPage.map((c) => c.id), [alexChat]);
    assert.ok(unread > firstPage[0].unread_count, `unread ${unread} beyond the first page`);

    // The teacher's app in a new tab, its list asked a chat at a time (and its later pages failing at first).
    const full = (await api(teacher, 'GET', '/api/chats?limit=500')).body.chats;
    const tab = (pages.teacherPaged = await teacher.context().newPage());
    tab.errors = [];
    tab.on('pageerror', (error) => tab.errors.push(error.message));
    const asked = [];
    let failPages = true;
    await tab.route(
      (url) => url.pathname === '/api/chats',
      async (route) => {
        const url = new URL(route.request().url());
        asked.push(url.search);
        if (failPages && url.searchParams.has('cursor')) {
          await route.fulfill({ status: 503, contentType: 'application/json', body: UNAVAILABLE });
          return;
        }
        if (!url.searchParams.has('q')) url.searchParams.set('limit', '1');
        await route.continue({ url: url.toString() });
      },
    );
    await tab.goto('/');
    const rows = tab.locator('[data-testid^="chat-"][data-kind]');
    const shown = () => rows.evaluateAll((els) => els.map((el) => Number(el.dataset.testid.slice('chat-'.length))));
    // The end of a one-chat list is in view: the second page is asked at once, and fails.
    await tab.getByTestId('load-more').filter({ hasText: 'Try again' }).waitFor();
    await tab.getByText('The server is unavailable right now. Try again in a moment.').waitFor();
    assert.equal(await rows.count(), 1);
    // Its title counts what the server counts, not the one chat loaded.
    await waitTitle(tab, `(${unread}) Tutorchat`);

    // A search finds a chat not loaded: the server is asked.
    const [first] = await shown();
    const target = full.find((c) => c.kind === 'direct' && c.id !== first);
    await tab.getByTestId('search-chats').fill(target.participant.name.split(' ')[0]);
    await tab.getByTestId(`chat-${target.id}`).waitFor();
    assert.ok(asked.some((search) => new URLSearchParams(search).has('q')), 'the server was asked');
    await tab.getByTestId('search-chats').fill('');

    // Pages load again: one after the other, to the last; each chat once.
    failPages = false;
    await tab.getByTestId('load-more').click();
    // Each page loaded brings the next while the list's end is in view; the rows (three lines
    // each) outgrow the window on the way, so the list is scrolled to its end as a person would.
    await tab.waitForFunction(
      () => {
        const list = document.querySelector('nav.chat-list');
        list.scrollTop = list.scrollHeight;
        return document.querySelector('[data-testid="load-more"]') === null;
      },
      null,
      { polling: 100 },
    );
    const listed = await shown();
    assert.equal(new Set(listed).size, listed.length, `each chat once: ${listed}`);
    assert.deepEqual([...listed].sort((a, b) => a - b), full.map((c) => c.id).sort((a, b) => a - b));
    assert.ok(asked.filter((search) => new URLSearchParams(search).has('cursor')).length >= full.length - 1);
    // Every list the page asked, a page at a time: without `limit` the server would answer them all.
    assert.ok(asked.every((search) => Number(new URLSearchParams(search).get('limit')) > 0), `asked: ${asked}`);
    await screenshot(tab, '14-paged-list');
    await tab.close();
    await setHidden(teacher, false);
  });
}
