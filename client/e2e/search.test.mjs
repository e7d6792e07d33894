// End-to-end: searching messages from the inbox, in headless Chromium against two tutorchat
// replicas on one database (GET /api/search, docs/search). Мария (student) on A and Иван
// (teacher) on B write to each other; Мария finds a message by another form of its word, sees
// the word marked and markup as text, opens a result at its message (the history around it,
// `?around=`), and goes on to the newest; Alex (a student outside that chat, in a Russian
// browser) finds nothing, the admin finds it. The tests run in order and share the pages.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, openTab, startCluster } from './harness.mjs';

let cluster;
let browser;
/** Pages by who is signed in: maria on A, ivan on B, alex (Russian) on B, admin on A. */
const pages = {};
let chatId; // Мария ↔ Иван
const sent = {}; // message ids by name
const EARLIER = 30; // messages before the match: the page around it (50) starts among them
const FILLERS = 60; // messages after the match, more than a page (50): it is not in the newest page

const TEXTBOOKS = 'Мария, принеси завтра учебники по алгебре 📘';
// Markup the server's snippet keeps (its text search drops what it parses as an HTML tag).
const MARKUP = 'Учебник нашёлся: <img src=x onerror=alert(1)> лежал дома';
const ENGLISH = 'Also bring the textbooks for the English lesson';
const filler = (n) => `Задача ${n}: ответ ${n * 7} ✏️`;
const warmUp = (n) => `Разминка ${n}: ${n} + ${n} = ${2 * n}`;

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

// ---- helpers ---------------------------------------------------------------------------

async function screenshot(page, name) {
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`) });
}

/** A same-origin API call from the page, as the app makes it (cookie and Origin included). */
function api(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    { method, path, body },
  );
}

/** Picks the demo user `email` on the sign-in page and waits for the chat list. */
async function signIn(page, email, chats = 'Chats') {
  await page.getByRole('button', { name: new RegExp(email.replace(/[.]/g, '\\.')) }).click();
  await page.getByRole('navigation', { name: chats }).waitFor();
}

async function waitLive(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid="connection"]')?.dataset.state === 'live');
}

const SAVED = '[data-testid^="message-"]:not([data-testid="message-pending"])';

/** Types `text` in the composer and sends it with Enter; returns the id of the saved message. */
async function send(page, text) {
  const composer = page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill(text);
  await composer.press('Enter');
  const saved = page.locator(SAVED).filter({ has: page.getByText(text, { exact: true }) });
  await saved.waitFor();
  await page.getByTestId('message-pending').waitFor({ state: 'detached' });
  return Number((await saved.getAttribute('data-testid')).slice('message-'.length));
}

/** Ids of the saved messages shown, top to bottom. */
function shownIds(page) {
  return page.locator(SAVED).evaluateAll((els) => els.map((el) => Number(el.dataset.testid.slice('message-'.length))));
}

/** Types `query` in the inbox's search box and searches the messages (Enter); returns the results region. */
async function searchMessages(page, query, { region = 'Messages found' } = {}) {
  const box = page.getByTestId('search-chats');
  await box.fill(query);
  await box.press('Enter');
  const results = page.getByRole('region', { name: region });
  await results.waitFor();
  assert.equal(await box.getAttribute('data-mode'), 'messages');
  return results;
}

/** Whether message `id` lies within the visible part of the conversation's scroller. */
function inViewport(page, id) {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-testid="message-${id}"]`);
    const scroller = el?.closest('.messages');
    if (!el || !scroller) return false;
    const box = el.getBoundingClientRect();
    const view = scroller.getBoundingClientRect();
    return box.height > 0 && box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
  }, id);
}

/** Waits until message `id` is marked (the `highlight` class, for a moment after a jump to it). */
async function waitHighlighted(page, id) {
  await page.waitForFunction((id) => document.querySelector(`[data-testid="message-${id}"]`)?.classList.contains('highlight'), id, {
    timeout: 5_000,
  });
}

/** Records the page's history requests (`GET /api/chats/{id}/messages`): their query strings. */
function recordHistory(page) {
  const requests = [];
  const listener = (request) => {
    const url = new URL(request.url());
    if (request.method() === 'GET' && url.pathname === `/api/chats/${chatId}/messages`) requests.push(url.searchParams);
  };
  page.on('request', listener);
  requests.stop = () => page.off('request', listener);
  return requests;
}

/** Scrolls the conversation to its end, again as newer pages join, until message `id` is shown. */
async function scrollUntilShown(page, id) {
  for (let i = 0; i < 40; i++) {
    if ((await page.getByTestId(`message-${id}`).count()) > 0) return;
    await page.locator('.messages').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      el.dispatchEvent(new Event('scroll'));
    });
    await page.waitForTimeout(150);
  }
  assert.fail(`message ${id} never came into the list by scrolling down`);
}

// ---- the story ---------------------------------------------------------------------------

test('Мария finds Иван\'s message by another form of its word: chat, sender, the word marked, markup as text', async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url));
  const dialogs = [];
  maria.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await signIn(maria, 'maria@demo.school');
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url));
  await signIn(ivan, 'ivan@demo.school');
  const item = maria.locator('[data-testid^="chat-"]');
  await item.first().waitFor();
  chatId = Number((await item.first().getAttribute('data-testid')).slice('chat-'.length));
  for (const page of [maria, ivan]) {
    await waitLive(page);
    await page.getByTestId(`chat-${chatId}`).click();
    await page.locator('.message-list').getByText('Спасибо, Иван Петрович! Сделаю 👍', { exact: true }).waitFor();
  }
  for (let n = 1; n <= EARLIER; n++) {
    const answer = await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: warmUp(n) });
    assert.equal(answer.status, 201, JSON.stringify(answer));
  }
  await maria.locator('.message-list').getByText(warmUp(EARLIER), { exact: true }).waitFor();
  sent.textbooks = await send(ivan, TEXTBOOKS);
  sent.markup = await send(maria, MARKUP);
  sent.english = await send(ivan, ENGLISH);
  await maria.locator('.message-list').getByText(ENGLISH, { exact: true }).waitFor();

  // "учебник" finds the plural in Иван's message ("учебники") and the word itself in hers.
  const results = await searchMessages(maria, 'учебник');
  const hit = results.getByTestId(`search-result-${sent.textbooks}`);
  const own = results.getByTestId(`search-result-${sent.markup}`);
  await hit.waitFor();
  await own.waitFor();
  assert.equal(Number(await hit.getAttribute('data-chat')), chatId);
  // The chat (its partner's name), the sender and the snippet, the found word in <mark>.
  assert.equal(await hit.locator('.chat-item-name').innerText(), 'Иван Петров');
  assert.equal((await hit.locator('.search-result-sender').innerText()).trim(), 'Иван Петров:');
  assert.deepEqual(await hit.locator('mark').allInnerTexts(), ['учебники']);
  assert.match(await hit.locator('.snippet').innerText(), /принеси завтра учебники по алгебре/);
  assert.equal((await own.locator('.search-result-sender').innerText()).trim(), 'You:');
  assert.deepEqual(await own.locator('mark').allInnerTexts(), ['Учебник']);
  // Markup in a message is its text, in the results too: no element made of it, nothing run.
  assert.equal(await own.locator('.snippet').innerText(), MARKUP);
  assert.equal(await results.locator('img').count(), 0);
  assert.deepEqual(dialogs, []);
  // The English message has neither word.
  assert.equal(await results.getByTestId(`search-result-${sent.english}`).count(), 0);
  await screenshot(maria, 'search-01-results');

  // English word forms too: "textbook" finds "textbooks"; ё is е ("нашелся" finds "нашёлся").
  const english = await searchMessages(maria, 'textbook');
  await english.getByTestId(`search-result-${sent.english}`).waitFor();
  assert.deepEqual(await english.getByTestId(`search-result-${sent.english}`).locator('mark').allInnerTexts(), ['textbooks']);
  assert.equal(await english.locator('[data-testid^="search-result-"]').count(), 1);
  const yo = await searchMessages(maria, 'нашелся');
  await yo.getByTestId(`search-result-${sent.markup}`).waitFor();
  assert.deepEqual(await yo.getByTestId(`search-result-${sent.markup}`).locator('mark').allInnerTexts(), ['нашёлся']);
});

test('a result opens the chat at its message (the page around it), marked; the newest come by scrolling and by "Jump to latest"', async () => {
  const { ivan } = pages;
  // Enough newer messages that the match is not in the chat's newest page.
  for (let n = 1; n <= FILLERS; n++) {
    const answer = await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: filler(n) });
    assert.equal(answer.status, 201, JSON.stringify(answer));
    sent.newest = answer.body.id;
  }

  // A fresh tab: only the newest page is known there, so the message must be fetched around it.
  const maria = (pages.maria2 = await openTab(pages.maria, '/'));
  await maria.getByRole('navigation', { name: 'Chats' }).waitFor();
  await waitLive(maria);
  const history = recordHistory(maria);
  const results = await searchMessages(maria, 'учебники алгебра');
  const hit = results.getByTestId(`search-result-${sent.textbooks}`);
  await hit.click();

  const target = maria.getByTestId(`message-${sent.textbooks}`);
  await target.waitFor();
  assert.equal(new URL(maria.url()).pathname, `/chats/${chatId}`);
  // Marked for a moment, and in view.
  await waitHighlighted(maria, sent.textbooks);
  assert.equal(await inViewport(maria, sent.textbooks), true, 'the found message is in view');
  await screenshot(maria, 'search-02-opened-at-message');
  assert.ok(
    history.some((q) => q.get('around') === String(sent.textbooks)),
    `history asked around the message: ${history.map((q) => q.toString()).join(' | ')}`,
  );
  // The history around it: older messages above it, newer below; neither the chat's first nor its newest.
  const ids = await shownIds(maria);
  assert.ok(ids.filter((id) => id < sent.textbooks).length >= 10, `older messages are shown above it: ${ids}`);
  assert.ok(ids.filter((id) => id > sent.textbooks).length >= 10, `newer messages are shown below it: ${ids}`);
  await maria.locator('.message-list').getByText(warmUp(EARLIER), { exact: true }).waitFor();
  const first = maria.locator('.message-list').getByText('Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚', { exact: true });
  assert.equal(await first.count(), 0, 'the first message is not loaded yet');
  assert.equal(await maria.getByTestId(`message-${sent.newest}`).count(), 0, 'the newest is not loaded yet');
  // Older pages still join at the top (the first message, as the reader scrolls up), the found one stays.
  await maria.locator('.messages').evaluate((el) => {
    el.scrollTop = 0;
    el.dispatchEvent(new Event('scroll'));
  });
  await first.waitFor();
  assert.ok(history.some((q) => q.has('before_id')), `an older page was asked: ${history.map((q) => q.toString()).join(' | ')}`);
  await target.waitFor();

  // "Jump to latest": the newest page, at its end.
  const jump = maria.getByRole('button', { name: '↓ Jump to latest' });
  await jump.click();
  await maria.getByTestId(`message-${sent.newest}`).waitFor();
  await jump.waitFor({ state: 'detached' });
  await maria.waitForFunction(async (id) => {
    const el = document.querySelector(`[data-testid="message-${id}"]`);
    const view = el?.closest('.messages')?.getBoundingClientRect();
    const box = el?.getBoundingClientRect();
    return view && box && box.bottom <= view.bottom + 1 && box.top >= view.top - 1;
  }, sent.newest);

  // Opened at the message again (no longer in the list), then down to the newest by scrolling.
  history.length = 0;
  await hit.click();
  await target.waitFor();
  assert.ok(history.some((q) => q.get('around') === String(sent.textbooks)), 'asked around it again');
  await waitHighlighted(maria, sent.textbooks);
  assert.equal(await inViewport(maria, sent.textbooks), true);
  await scrollUntilShown(maria, sent.newest);
  await maria.getByRole('button', { name: '↓ Jump to latest' }).waitFor({ state: 'detached' });
  assert.ok(
    history.some((q) => q.has('after_id')),
    `newer pages were asked as the list was scrolled: ${history.map((q) => q.toString()).join(' | ')}`,
  );
  // Every message from the match to the newest is there once, in order.
  const all = await shownIds(maria);
  assert.deepEqual(all, [...all].sort((a, b) => a - b), 'in order');
  assert.equal(new Set(all).size, all.length, 'each message once');
  assert.ok(all.includes(sent.textbooks) && all.includes(sent.newest));
  history.stop();

  // Live messages still arrive at the end.
  const latest = 'Последнее на сегодня 🌙';
  await api(pages.ivan, 'POST', '/api/messages', { chat_id: chatId, content: latest });
  await maria.locator('.message-list').getByText(latest, { exact: true }).waitFor();
  await screenshot(maria, 'search-03-at-latest');
});

test('entitlement: Alex (another student, a Russian browser) finds nothing of that chat; the admin finds it', async () => {
  // Иван completes his lesson with Alex, so Alex has a chat (and an inbox to search from).
  const lessons = await api(pages.ivan, 'GET', '/api/lessons');
  assert.equal(lessons.status, 200, JSON.stringify(lessons));
  const lesson = lessons.body.lessons.find((l) => l.status === 'scheduled');
  assert.ok(lesson, `a scheduled lesson with Alex: ${JSON.stringify(lessons.body)}`);
  const completed = await api(pages.ivan, 'POST', `/api/lessons/${lesson.id}/complete`);
  assert.equal(completed.status, 200, JSON.stringify(completed));
  const alexChat = completed.body.chat_id;
  await api(pages.ivan, 'POST', '/api/messages', { chat_id: alexChat, content: 'Алекс, на уроке решаем задачи из сборника' });

  const alex = (pages.alex = await openPage(browser, cluster.b.url, { viewport: { width: 1280, height: 800 }, locale: 'ru-RU' }));
  await signIn(alex, 'alex@demo.school', 'Чаты');
  await alex.getByTestId(`chat-${alexChat}`).waitFor();
  const none = await searchMessages(alex, 'учебник', { region: 'Найденные сообщения' });
  await none.getByRole('status').filter({ hasText: 'По запросу «учебник» ничего не найдено.' }).waitFor();
  assert.equal(await none.locator('[data-testid^="search-result-"]').count(), 0);
  // Nor by the API: what the page shows is what the server answers him.
  const answer = await api(alex, 'GET', `/api/search?q=${encodeURIComponent('учебник')}`);
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body.results, []);
  // His own chat's words he finds.
  const own = await searchMessages(alex, 'сборник', { region: 'Найденные сообщения' });
  await own.locator(`[data-testid^="search-result-"][data-chat="${alexChat}"]`).waitFor();
  await screenshot(alex, 'search-04-alex-nothing');

  const admin = (pages.admin = await openPage(browser, cluster.a.url));
  await signIn(admin, 'admin@demo.school');
  const found = await searchMessages(admin, 'учебник');
  const hit = found.getByTestId(`search-result-${sent.textbooks}`);
  await hit.waitFor();
  await found.getByTestId(`search-result-${sent.markup}`).waitFor();
  assert.equal(Number(await hit.getAttribute('data-chat')), chatId);
  assert.match(await hit.locator('.chat-item-name').innerText(), /Мария Иванова · Иван Петров/);
  assert.equal((await hit.locator('.search-result-sender').innerText()).trim(), 'Иван Петров:');
  assert.deepEqual(await hit.locator('mark').allInnerTexts(), ['учебники']);
  // The admin opens it too, read-only, at the message.
  await hit.click();
  await admin.getByTestId(`message-${sent.textbooks}`).waitFor();
  await waitHighlighted(admin, sent.textbooks);
  assert.equal(await inViewport(admin, sent.textbooks), true);
  await screenshot(admin, 'search-05-admin');
});
