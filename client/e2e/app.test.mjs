// End-to-end: the built client in headless Chromium against two tutorchat replicas on one
// database. The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';

import {
  CLIENT_DIR,
  DESKTOP,
  PHONE,
  RESULTS_DIR,
  launchBrowser,
  openPage,
  openTab,
  openTabIn,
  setHidden,
  startCluster,
} from './harness.mjs';

let cluster;
let browser;
/**
 * Pages by who is signed in: student (Мария) on A and her second tab (studentTab) on B, teacher
 * (Иван) on B, admin on A, alex (phone) on B, alex again in a Russian browser (russian) on A,
 * a visitor of Иван's inquiry link without an account (guest, a private window) on A, and
 * another one (secondGuest) on B.
 */
const pages = {};
let chatId; // Мария ↔ Иван
let alexChat; // Alex ↔ Иван, opened by the phone test
let groupId; // Иван's group with Мария and Alex, created by the group tests
const inquiry = {}; // Иван's inquiry link (linkId, path), the chat a visitor opened with it (chatId) and a second visitor's (secondChatId)
const ids = {}; // user ids by name
const sent = {}; // message ids by name
const adminReads = []; // requests of the admin's page that would mark something read (none)
const adminTyping = []; // requests of the admin's page that would say it types (none)

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

const SAVED = '[data-testid^="message-"]:not([data-testid="message-pending"])';
/** A replica's answer while its database is down, as the server gives it (`{"error", "code"}`). */
const UNAVAILABLE = JSON.stringify({ error: 'the database cannot be reached right now', code: 'unavailable' });

async function screenshot(page, name) {
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`) });
}

/** Ids of the saved messages shown, top to bottom. */
function shownIds(page) {
  return page.locator(SAVED).evaluateAll((els) => els.map((el) => Number(el.dataset.testid.slice('message-'.length))));
}

/** Waits until exactly `count` saved messages have exactly this text; returns their ids. */
async function waitForMessage(page, text, count = 1) {
  await page.waitForFunction(
    ({ selector, text, count }) =>
      [...document.querySelectorAll(selector)].filter((el) => el.querySelector('.text')?.textContent === text)
        .length === count,
    { selector: SAVED, text, count },
  );
  return page
    .locator(SAVED)
    .evaluateAll(
      (els, text) =>
        els.filter((el) => el.querySelector('.text')?.textContent === text).map((el) => Number(el.dataset.testid.slice(8))),
      text,
    );
}

async function waitForGone(page, messageId) {
  await page.getByTestId(`message-${messageId}`).waitFor({ state: 'detached' });
}

async function waitConnection(page, state) {
  await page.waitForFunction((state) => document.querySelector('[data-testid="connection"]')?.dataset.state === state, state);
}

/** Waits until the server counts `count` unread messages for the page's user (in `chats` chats). */
async function waitUnreadCount(page, count, chats = count > 0 ? 1 : 0) {
  let last;
  for (let i = 0; i < 100; i++) {
    last = await api(page, 'GET', '/api/unread-count');
    if (last.status === 200 && last.body.unread_count === count && last.body.chats === chats) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`GET /api/unread-count: expected ${count} in ${chats} chats, last answer ${JSON.stringify(last)}`);
}

/** The unread badge of a chat: its exact count (0 without a badge). */
async function badgeCount(page, id) {
  const badge = page.getByTestId(`unread-${id}`);
  return (await badge.count()) === 0 ? 0 : Number(await badge.getAttribute('data-count'));
}

async function waitTitle(page, title) {
  await page.waitForFunction((title) => document.title === title, title);
}

/** Hovers a message and clicks one of its actions (reply, edit, delete). */
async function messageAction(page, action, id) {
  await page.getByTestId(`message-${id}`).hover();
  await page.getByTestId(`${action}-${id}`).click();
}

async function signIn(page, email) {
  await page.getByTestId(`login-${email}`).click();
  await page.locator('nav[aria-label="Chats"]').waitFor();
}

async function send(page, text) {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  const [id] = await waitForMessage(page, text);
  await page.getByTestId('message-pending').waitFor({ state: 'detached' });
  return id;
}

/** Records the page's `POST /api/chats/{id}/typing` requests: `{ at, isTyping }`, in order. */
function recordTyping(page) {
  const requests = [];
  const listener = (request) => {
    if (request.method() === 'POST' && /^\/api\/chats\/\d+\/typing$/.test(new URL(request.url()).pathname)) {
      requests.push({ at: Date.now(), isTyping: request.postDataJSON().is_typing });
    }
  };
  page.on('request', listener);
  requests.stop = () => page.off('request', listener);
  return requests;
}

/** Waits until the open conversation shows nobody typing, and the chat list row neither. */
async function waitNoTyping(page, id, timeout) {
  await page.waitForFunction(() => document.querySelector('[data-testid="typing"]')?.textContent === '', null, { timeout });
  await page.getByTestId(`typing-${id}`).waitFor({ state: 'detached', timeout });
}

/** Waits until the open conversation's header says whether its other participant is online. */
async function waitPresence(page, online, timeout) {
  await page.locator(`[data-testid="presence"][data-online="${online}"]`).waitFor({ timeout });
}

/** The signed-in user's id. */
async function myId(page) {
  const answer = await api(page, 'GET', '/api/me');
  assert.equal(answer.status, 200);
  return answer.body.user.id;
}

/** Waits until the page's list has a row for `id` saying `text`. */
async function waitRow(page, id, text) {
  await page.getByTestId(`chat-${id}`).filter({ hasText: text }).waitFor();
}

/** The sender name a saved message shows above its text ('' without one). */
async function senderShown(page, messageId) {
  const sender = page.getByTestId(`sender-${messageId}`);
  return (await sender.count()) === 0 ? '' : sender.innerText();
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

/** A real PNG of `width` × `height` pixels, each `pixel(x, y)` → `[r, g, b]` (8-bit RGB, no filter). */
function makePng(width, height, pixel) {
  const raw = Buffer.alloc((width * 3 + 1) * height); // each row: filter byte 0, then its pixels
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * (width * 3 + 1) + 1 + x * 3);
  }
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const frame = Buffer.alloc(8 + data.length + 4);
    frame.writeUInt32BE(data.length, 0);
    body.copy(frame, 4);
    frame.writeUInt32BE(crc32(body), 4 + body.length);
    return frame;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** `GET path` from the page (its cookies), as `<img>` and links fetch it: the status, the SHA-256 of the body, two headers. */
function fetchDigest(page, path) {
  return page.evaluate(async (path) => {
    const response = await fetch(path);
    const digest = await crypto.subtle.digest('SHA-256', await response.arrayBuffer());
    return {
      status: response.status,
      sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join(''),
      disposition: response.headers.get('content-disposition'),
      nosniff: response.headers.get('x-content-type-options'),
    };
  }, path);
}

/** Waits until the composer holds one upload of `name` that is done; returns its attachment id. */
async function uploaded(page, name) {
  const chip = page.locator(`[data-testid="upload"][data-name="${name}"]`);
  await page.locator(`[data-testid="upload"][data-name="${name}"][data-status="done"]`).waitFor();
  return Number(await chip.getAttribute('data-attachment-id'));
}

/** The id of the saved message that shows `testId` (an attachment). */
async function messageWith(page, testId) {
  const item = page.locator(SAVED).filter({ has: page.getByTestId(testId) });
  return Number((await item.getAttribute('data-testid')).slice('message-'.length));
}

// ---- the story ---------------------------------------------------------------------------

test('signing in: the demo users are listed and the student lands on her chats (replica A)', async () => {
  const page = (pages.student = await openPage(browser, cluster.a.url));
  for (const email of ['maria@demo.school', 'ivan@demo.school', 'alex@demo.school', 'admin@demo.school']) {
    await page.getByTestId(`login-${email}`).waitFor();
  }
  await screenshot(page, '01-sign-in');
  await signIn(page, 'maria@demo.school');
  const item = page.locator('[data-testid^="chat-"]');
  await item.first().waitFor();
  assert.equal(await item.count(), 1);
  assert.match(await item.first().innerText(), /Иван Петров/);
  assert.match(await item.first().innerText(), /Teacher/);
  chatId = Number((await item.first().getAttribute('data-testid')).slice('chat-'.length));
  await waitConnection(page, 'live');
});

test('the teacher signs in on the other replica (B) and both open the chat with its history', async () => {
  const page = (pages.teacher = await openPage(browser, cluster.b.url));
  await signIn(page, 'ivan@demo.school');
  await waitConnection(page, 'live');
  for (const p of [pages.student, page]) {
    await p.getByTestId(`chat-${chatId}`).click();
    await waitForMessage(p, 'Спасибо, Иван Петрович! Сделаю 👍');
    await waitForMessage(p, 'Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚');
  }
  assert.equal(new URL(pages.student.url()).pathname, `/chats/${chatId}`);
  // The student's own message is on her side, the teacher's on the other.
  const [own] = await waitForMessage(pages.student, 'Спасибо, Иван Петрович! Сделаю 👍');
  assert.match(await pages.student.getByTestId(`message-${own}`).getAttribute('class'), /\bmine\b/);
});

test('messages cross replicas live, exactly once, with Cyrillic, emoji and line breaks', async () => {
  const { student, teacher } = pages;
  // Shift+Enter is a new line; Enter sends.
  const composer = student.getByTestId('composer');
  await composer.fill('Иван Петрович, добрый вечер! 👋');
  await composer.press('Shift+Enter');
  await student.keyboard.insertText('Упражнение 4 решила через производную 📐✨');
  await composer.press('Enter');
  const text = 'Иван Петрович, добрый вечер! 👋\nУпражнение 4 решила через производную 📐✨';
  [sent.first] = await waitForMessage(student, text);
  assert.equal(await composer.inputValue(), '');
  await student.getByTestId('message-pending').waitFor({ state: 'detached' });
  assert.deepEqual(await waitForMessage(teacher, text), [sent.first]);

  sent.reply = await send(teacher, 'Отлично, Мария! Пришлите фото решения 📸');
  assert.deepEqual(await waitForMessage(student, 'Отлично, Мария! Пришлите фото решения 📸'), [sent.reply]);
  assert.match(await student.getByTestId(`message-${sent.reply}`).getAttribute('class'), /\btheirs\b/);

  // Markup is shown as text, never interpreted.
  sent.markup = await send(student, '<b>не жирный</b> & <img src=x onerror=alert(1)>');
  await waitForMessage(teacher, '<b>не жирный</b> & <img src=x onerror=alert(1)>');
  assert.equal(await teacher.locator('.message-list b, .message-list img').count(), 0);

  // The chat list follows: latest message as the preview.
  await student.getByTestId(`chat-${chatId}`).filter({ hasText: '<b>не жирный</b>' }).waitFor();
  await screenshot(student, '02-student-desktop');
  await screenshot(teacher, '03-teacher-desktop');
});

test('a send retries by itself while the server is unavailable, stays visible with the reason when refused, and Retry sends it again, all with one key', async () => {
  const { student, teacher } = pages;
  const keys = [];
  const recordKey = (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/api/messages')) {
      keys.push(request.headers()['idempotency-key']);
    }
  };
  student.on('request', recordKey);
  // The first attempt finds the database failing over (503, Retry-After: 1): the client sends it
  // again by itself a second later. That one is refused (429: repeating it at once would not
  // help), so the message stays, with why, until the person retries; the third attempt lands.
  const refusals = [
    { status: 503, headers: { 'retry-after': '1' }, body: UNAVAILABLE },
    {
      status: 429,
      headers: { 'retry-after': '3' },
      body: JSON.stringify({ error: 'too many requests: retry after 3 s', code: 'rate_limited' }),
    },
  ];
  await student.route(
    '**/api/messages',
    (route) => route.fulfill({ contentType: 'application/json', ...refusals.shift() }),
    { times: refusals.length },
  );
  const text = 'Отправлю ещё раз 🔁';
  await student.getByTestId('composer').fill(text);
  await student.getByTestId('send').click();
  const pending = student.getByTestId('message-pending');
  await pending.filter({ hasText: 'Not sent. Too many requests. Wait a moment and try again.' }).waitFor();
  assert.equal(keys.length, 2, `the 503 was retried by itself, once: ${keys}`);
  assert.equal(await pending.locator('.text').innerText(), text);
  await screenshot(student, '04-send-failed');
  await pending.getByTestId('retry').click();
  [sent.retried] = await waitForMessage(student, text);
  await pending.waitFor({ state: 'detached' });
  student.off('request', recordKey);
  // One key per message, the same on every attempt: had an attempt reached the server and only
  // its answer been lost, the server would answer the next with that message.
  assert.equal(keys.length, 3, `three attempts: ${keys}`);
  assert.match(keys[0], /^[\x21-\x7e]{1,64}$/);
  assert.deepEqual(new Set(keys).size, 1, `every attempt carries the first one's Idempotency-Key: ${keys}`);
  assert.deepEqual(await waitForMessage(teacher, text), [sent.retried]);
});

test('blank and over-long input cannot be sent; the counter counts code points', async () => {
  const { student } = pages;
  const composer = student.getByTestId('composer');
  const sendButton = student.getByTestId('send');
  await composer.fill('   \n  ');
  assert.equal(await sendButton.isDisabled(), true);
  await composer.press('Enter');
  assert.equal(await student.getByTestId('message-pending').count(), 0);

  await composer.fill('😀'.repeat(9_000)); // 18,000 UTF-16 units, 9,000 code points
  assert.equal(await student.getByTestId('counter').innerText(), '9,000 / 10,000');
  assert.equal(await sendButton.isDisabled(), false);
  await composer.fill('я'.repeat(10_001));
  assert.equal(await student.getByTestId('counter').innerText(), '10,001 / 10,000');
  assert.equal(await sendButton.isDisabled(), true);
  await composer.press('Enter');
  assert.equal(await student.getByTestId('message-pending').count(), 0);
  await composer.fill('');
  assert.equal(await student.getByTestId('counter').count(), 0);
});

test('the admin reads the conversation live and read-only', async () => {
  const page = (pages.admin = await openPage(browser, cluster.a.url));
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/read$/.test(new URL(request.url()).pathname)) adminReads.push(request.url());
    if (request.method() === 'POST' && /\/typing$/.test(new URL(request.url()).pathname)) adminTyping.push(request.url());
  });
  await signIn(page, 'admin@demo.school');
  const item = page.getByTestId(`chat-${chatId}`);
  await item.waitFor();
  assert.match(await item.innerText(), /Мария Иванова · Иван Петров/);
  assert.match(await item.innerText(), /6 messages/);
  await item.click();
  assert.deepEqual(await waitForMessage(page, 'Отлично, Мария! Пришлите фото решения 📸'), [sent.reply]);
  await waitForMessage(page, 'Иван Петрович, добрый вечер! 👋\nУпражнение 4 решила через производную 📐✨');
  await page.getByTestId('read-only').waitFor();
  assert.equal(await page.getByTestId('composer').count(), 0);
  assert.equal(await page.getByTestId('send').count(), 0);
  assert.equal(await page.locator('[data-testid^="delete-"]').count(), 0);
  await waitConnection(page, 'live');
  // Live for the admin too.
  const id = (sent.greeting = await send(pages.teacher, 'Ольга, добрый день! 🙂'));
  assert.deepEqual(await waitForMessage(page, 'Ольга, добрый день! 🙂'), [id]);
  await item.filter({ hasText: '7 messages' }).waitFor();
  await screenshot(page, '05-admin-read-only');
});

test('typing: the teacher (B) sees "typing…" while the student writes (A), the admin never; it goes when she sends, blurs or stops', async () => {
  const { student, teacher, admin } = pages;
  const requests = recordTyping(student);
  const composer = student.getByTestId('composer');
  const header = teacher.getByTestId('typing');
  const row = teacher.getByTestId(`typing-${chatId}`);

  // She types a question, a key every 150 ms; he sees it in the conversation and in the list.
  const text = 'Иван Петрович, можно вопрос?';
  await composer.click();
  const typed = composer.pressSequentially(text, { delay: 150 });
  await header.filter({ hasText: 'Мария Иванова is typing…' }).waitFor();
  await row.filter({ hasText: 'typing…' }).waitFor();
  assert.equal(await teacher.getByTestId(`chat-${chatId}`).locator('.chat-item-preview').innerText(), 'typing…');
  await typed;
  assert.equal(await header.getAttribute('role'), 'status', 'announced to screen readers');
  await screenshot(teacher, '05b-teacher-sees-typing');
  // The admin reads the same chat and sees nothing of it.
  assert.equal(await admin.getByTestId('typing').innerText(), '');
  assert.equal(await admin.getByTestId(`typing-${chatId}`).count(), 0);

  // Throttled: one `true` and a renewal every 2.5 s, not one per keystroke.
  const trues = requests.filter((r) => r.isTyping);
  assert.ok(trues.length >= 1 && trues.length <= 3, `${trues.length} true for ${[...text].length} keystrokes`);
  for (let i = 1; i < trues.length; i++) {
    assert.ok(trues[i].at - trues[i - 1].at >= 2_000, `renewed after ${trues[i].at - trues[i - 1].at} ms`);
  }

  // She sends it: the indicator goes with the message's arrival (long before it would expire).
  await composer.press('Enter');
  const [question] = await waitForMessage(teacher, text);
  await waitNoTyping(teacher, chatId, 2_000);
  await teacher.getByTestId(`chat-${chatId}`).filter({ hasText: text }).waitFor();
  sent.typed = question;

  // She starts again and leaves the composer: gone at once (a `false`).
  await composer.pressSequentially('А ещё', { delay: 50 });
  await header.filter({ hasText: 'is typing…' }).waitFor();
  const blurredAt = Date.now();
  await composer.blur();
  await waitNoTyping(teacher, chatId, 3_000);
  assert.ok(requests.some((r) => !r.isTyping && r.at >= blurredAt), 'a false after the blur');

  // Back in the composer, one more key, then nothing: after a few idle seconds, a `false`.
  await composer.focus();
  await composer.press('End');
  await composer.pressSequentially('!');
  const lastKeyAt = Date.now();
  await header.filter({ hasText: 'is typing…' }).waitFor();
  await waitNoTyping(teacher, chatId, 10_000);
  assert.ok(requests.some((r) => !r.isTyping && r.at >= lastKeyAt + 3_000), 'a false after being idle');
  await composer.fill('');
  requests.stop();
  assert.deepEqual(adminTyping, []);
});

test('the student deletes her message after confirming; it disappears for everyone', async () => {
  const { student, teacher, admin } = pages;
  const message = student.getByTestId(`message-${sent.markup}`);
  await message.hover();
  await student.getByTestId(`delete-${sent.markup}`).click();
  await student.getByTestId('cancel-delete').click(); // changing one's mind keeps it
  assert.equal(await message.count(), 1);
  await message.hover();
  await student.getByTestId(`delete-${sent.markup}`).click();
  await student.getByTestId('confirm-delete').click();
  await waitForGone(student, sent.markup);
  await waitForGone(teacher, sent.markup);
  await waitForGone(admin, sent.markup);
  // Only the author gets a delete button.
  assert.equal(await teacher.getByTestId(`delete-${sent.first}`).count(), 0);
  assert.equal(await teacher.getByTestId(`delete-${sent.reply}`).count(), 1);
});

test('reading: what the student reads in one tab clears the badge in her other tab, and the teacher sees ✓✓', async () => {
  const { student, teacher } = pages;
  // A second tab of hers in the same browser, on the other replica: signed in by the same cookie.
  const tab = (pages.studentTab = await openTab(student, cluster.b.url));
  await tab.locator('nav[aria-label="Chats"]').waitFor();
  await tab.getByTestId(`chat-${chatId}`).waitFor();
  await waitConnection(tab, 'live');
  // The first tab has the chat open at its bottom, in front: everything so far is read. (The
  // second tab stays behind it; it gets the events all the same.)
  await student.bringToFront();
  assert.equal(await student.evaluate(() => document.visibilityState), 'visible');
  await waitUnreadCount(tab, 0);
  assert.equal(await badgeCount(tab, chatId), 0);
  await waitTitle(tab, 'Tutorchat');
  // Her own messages: the teacher has had the chat open all along, so they are read (✓✓).
  const ticks = student.getByTestId(`ticks-${sent.retried}`);
  await student.locator(`[data-testid="ticks-${sent.retried}"][data-read="true"]`).waitFor();
  assert.equal(await ticks.getAttribute('aria-label'), 'Read');
  assert.equal(await student.getByTestId(`message-${sent.retried}`).getAttribute('data-read'), 'true');
  assert.equal(await student.getByTestId(`ticks-${sent.reply}`).count(), 0, 'no ticks on the messages of others');

  // Her first tab goes to the background: what arrives now is shown there but not read.
  await setHidden(student, true);
  const texts = ['Мария, посмотрите ещё задачу 6 🧮', 'И задачу 7 тоже 🙏'];
  const ids = [];
  for (const text of texts) ids.push(await send(teacher, text));
  for (const id of ids) {
    assert.equal(await teacher.getByTestId(`ticks-${id}`).getAttribute('data-read'), 'false');
    assert.equal(await teacher.getByTestId(`ticks-${id}`).getAttribute('aria-label'), 'Sent');
  }
  await waitForMessage(student, texts[1]);
  for (const page of [student, tab]) {
    await page.getByTestId(`unread-${chatId}`).filter({ hasText: '2 unread messages' }).waitFor();
    await waitTitle(page, '(2) Tutorchat');
  }
  await waitUnreadCount(tab, 2);
  assert.equal(await badgeCount(tab, chatId), 2);
  await screenshot(tab, '06a-student-second-tab-unread');

  // In front again, at the bottom of the chat: read. Both tabs clear, the teacher sees ✓✓.
  await setHidden(student, false);
  for (const page of [student, tab]) {
    await page.getByTestId(`unread-${chatId}`).waitFor({ state: 'detached' });
    await waitTitle(page, 'Tutorchat');
  }
  for (const id of ids) await teacher.locator(`[data-testid="ticks-${id}"][data-read="true"]`).waitFor();
  assert.equal(await teacher.getByTestId(`ticks-${ids[1]}`).getAttribute('aria-label'), 'Read');
  await waitUnreadCount(tab, 0);
  await screenshot(teacher, '06b-teacher-read-ticks');
});

test('the teacher edits a message and answers others; the student and the admin see it all live', async () => {
  const { student, teacher, admin } = pages;
  const greeting = sent.greeting; // 'Ольга, добрый день! 🙂', Иван's
  // The student answers it first (her quote will follow the edit). Esc drops a reply.
  await messageAction(student, 'reply', greeting);
  const preview = student.getByTestId('reply-preview');
  await preview.filter({ hasText: 'Ольга, добрый день! 🙂' }).waitFor();
  assert.match(await preview.innerText(), /Иван Петров/);
  await student.getByTestId('composer').press('Escape');
  await preview.waitFor({ state: 'detached' });
  await messageAction(student, 'reply', greeting);
  await preview.waitFor();
  sent.question = await send(student, 'Это мне? 🙂');
  assert.equal(await preview.count(), 0, 'the quote goes with the message');
  for (const page of [student, teacher, admin]) {
    const quote = page.getByTestId(`quote-${sent.question}`);
    await quote.filter({ hasText: 'Ольга, добрый день! 🙂' }).waitFor();
    assert.match(await quote.innerText(), /Иван Петров/);
  }

  // Only its author can edit a message; the admin can neither edit nor answer.
  assert.equal(await student.getByTestId(`edit-${greeting}`).count(), 0);
  assert.equal(await student.getByTestId(`edit-${sent.question}`).count(), 1);
  assert.equal(await admin.locator('[data-testid^="edit-"], [data-testid^="reply-"]').count(), 0);

  // The teacher edits his greeting: Esc cancels, a failure shows why and keeps the text, Enter saves.
  await messageAction(teacher, 'edit', greeting);
  const input = teacher.getByTestId('edit-input');
  assert.equal(await input.inputValue(), 'Ольга, добрый день! 🙂');
  await input.press('Escape');
  await input.waitFor({ state: 'detached' });
  await teacher.route(
    `**/api/messages/${greeting}`,
    (route) => route.fulfill({ status: 503, contentType: 'application/json', body: UNAVAILABLE }),
    { times: 1 },
  );
  await messageAction(teacher, 'edit', greeting);
  await input.fill('Мария, добрый день!');
  await input.press('Shift+Enter');
  await teacher.keyboard.insertText('Простите, опечатка 🙂');
  await input.press('Enter');
  await teacher.getByTestId('edit-error').filter({ hasText: 'Not saved. The server is unavailable right now. Try again in a moment.' }).waitFor();
  await screenshot(teacher, '06c-edit-failed');
  await input.press('Enter');
  await input.waitFor({ state: 'detached' });
  const edited = 'Мария, добрый день!\nПростите, опечатка 🙂';
  for (const page of [teacher, student, admin]) {
    assert.deepEqual(await waitForMessage(page, edited), [greeting]);
    const mark = page.getByTestId(`edited-${greeting}`);
    assert.equal(await mark.innerText(), 'edited');
    assert.match(await mark.getAttribute('title'), /^Edited /);
    await page.getByTestId(`quote-${sent.question}`).filter({ hasText: 'Мария, добрый день!' }).waitFor();
  }
  assert.equal(await student.getByTestId(`edited-${sent.question}`).count(), 0);

  // The teacher answers the student's retried message; while it is sent, it shows the quote too.
  await messageAction(teacher, 'reply', sent.retried);
  await teacher.route('**/api/messages', async (route) => {
    await new Promise((r) => setTimeout(r, 400));
    await route.continue();
  }, { times: 1 });
  await teacher.getByTestId('composer').fill('Получил, спасибо! ✅');
  await teacher.getByTestId('composer').press('Enter');
  await teacher.getByTestId('message-pending').locator('.quote').filter({ hasText: 'Отправлю ещё раз 🔁' }).waitFor();
  [sent.answer] = await waitForMessage(teacher, 'Получил, спасибо! ✅');
  for (const page of [teacher, student, admin]) {
    assert.deepEqual(await waitForMessage(page, 'Получил, спасибо! ✅'), [sent.answer]);
    await page.getByTestId(`quote-${sent.answer}`).filter({ hasText: 'Отправлю ещё раз 🔁' }).waitFor();
  }
  // Clicking a quote brings the quoted message into view and marks it for a moment.
  await student.getByTestId(`quote-${sent.answer}`).click();
  await student.locator(`[data-testid="message-${sent.retried}"].highlight`).waitFor();
  await screenshot(student, '06d-student-edit-and-replies');
  await student.locator(`[data-testid="message-${sent.retried}"].highlight`).waitFor({ state: 'detached' });
  await student.locator('.messages').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));

  // A quoted message that is deleted: the quotes say so, live.
  const draft = await send(student, 'Черновик, сейчас удалю 📝');
  await waitForMessage(teacher, 'Черновик, сейчас удалю 📝');
  await messageAction(teacher, 'reply', draft);
  const why = await send(teacher, 'Что за черновик? 🤔');
  await student.getByTestId(`quote-${why}`).filter({ hasText: 'Черновик' }).waitFor();
  await messageAction(student, 'delete', draft);
  await student.getByTestId('confirm-delete').click();
  for (const page of [teacher, student, admin]) {
    await waitForGone(page, draft);
    const quote = page.getByTestId(`quote-${why}`);
    await quote.filter({ hasText: 'Message deleted' }).waitFor();
    assert.equal(await quote.locator('em').innerText(), 'Message deleted');
  }
  await screenshot(admin, '06e-admin-edit-and-replies');
});

test('after a reload the unread badges and the title are what the server counts', async () => {
  const { student, studentTab: tab, teacher } = pages;
  await setHidden(student, true);
  const id = await send(teacher, 'Завтра контрольная, не забудьте 📅');
  await waitForMessage(student, 'Завтра контрольная, не забудьте 📅');
  await waitUnreadCount(tab, 1);
  await tab.reload();
  await tab.getByTestId(`unread-${chatId}`).filter({ hasText: '1 unread message' }).waitFor();
  assert.equal(await badgeCount(tab, chatId), 1);
  await waitTitle(tab, '(1) Tutorchat');
  assert.match(await tab.getByTestId(`chat-${chatId}`).innerText(), /Завтра контрольная/);
  await setHidden(student, false);
  await tab.getByTestId(`unread-${chatId}`).waitFor({ state: 'detached' });
  await teacher.locator(`[data-testid="ticks-${id}"][data-read="true"]`).waitFor();
  await waitUnreadCount(tab, 0);
  await tab.reload();
  await tab.getByTestId(`chat-${chatId}`).waitFor();
  assert.equal(await badgeCount(tab, chatId), 0);
  assert.equal(await tab.title(), 'Tutorchat');
  // The admin never marks anything read.
  assert.deepEqual(adminReads, []);
});

test('a reload keeps the open chat and its history', async () => {
  const { student } = pages;
  const before = await shownIds(student);
  await student.reload();
  await waitForMessage(student, 'Отправлю ещё раз 🔁');
  assert.deepEqual(await shownIds(student), before);
  assert.ok(!before.includes(sent.markup));
  assert.ok(before.includes(sent.first) && before.includes(sent.reply) && before.includes(sent.retried));
  await waitConnection(student, 'live');
});

test('presence: the teacher sees the student online, "last seen" once her last tab is closed, and online again when she is back', async () => {
  const { student, studentTab: tab, teacher } = pages;
  const row = teacher.getByTestId(`chat-${chatId}`);
  const avatar = row.locator('.avatar');
  // Both see each other online: in the conversation's header and as a dot in the list.
  await waitPresence(teacher, true);
  assert.equal(await teacher.getByTestId('presence').innerText(), 'online');
  assert.equal(await avatar.getAttribute('data-presence'), 'online');
  assert.equal(await row.locator('.presence-dot').count(), 1);
  await waitPresence(student, true);
  await student.getByTestId(`chat-${chatId}`).locator('.avatar[data-presence="online"]').waitFor();
  await screenshot(teacher, '07a-teacher-sees-student-online');

  // One of her two tabs closes: she is still online (well past the server's grace).
  await tab.close();
  await teacher.waitForTimeout(7_000);
  assert.equal(await teacher.getByTestId('presence').getAttribute('data-online'), 'true');

  // Her last tab closes: offline soon after, "last seen just now", no dot.
  const context = student.context();
  await student.close();
  const closedAt = Date.now();
  await waitPresence(teacher, false, 15_000);
  const after = Date.now() - closedAt;
  assert.equal(await teacher.getByTestId('presence').innerText(), 'last seen just now');
  assert.match(await teacher.getByTestId('presence').getAttribute('title'), /\d/, 'the exact time as a tooltip');
  assert.equal(await avatar.getAttribute('data-presence'), 'offline');
  assert.equal(await row.locator('.presence-dot').count(), 0);
  assert.ok(after < 12_000, `offline after ${after} ms`);
  await screenshot(teacher, '07b-teacher-sees-student-last-seen');

  // She opens the chat again (signed in by her cookie): online again.
  const back = await openTabIn(context, `${cluster.a.url}/chats/${chatId}`);
  await waitForMessage(back, 'Отправлю ещё раз 🔁');
  await waitConnection(back, 'live');
  await waitPresence(teacher, true, 10_000);
  assert.equal(await avatar.getAttribute('data-presence'), 'online');
  pages.studentClosed = student; // its errors are still checked at the end
  pages.student = back;
});

test('lessons: Иван (B) marks his scheduled lesson with Alex completed; the chat appears live for both, Alex on his phone (B)', async () => {
  const { teacher } = pages;
  const page = (pages.alex = await openPage(browser, cluster.b.url, PHONE));
  await signIn(page, 'alex@demo.school');
  await page.getByText('No chats yet').waitFor();
  await waitConnection(page, 'live');
  // Neither page is reloaded from here on: a marker in each would be gone.
  for (const p of [teacher, page]) await p.evaluate(() => (window.stayedLoaded = true));

  // Students have no lessons panel; the teacher's lists his scheduled lessons (Мария's is done).
  assert.equal(await page.getByTestId('lessons-button').count(), 0);
  await teacher.getByTestId('lessons-button').click();
  const dialog = teacher.getByTestId('lessons-dialog');
  await dialog.waitFor();
  const rows = dialog.locator('[data-testid^="lesson-"]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1, 'one scheduled lesson: with Alex');
  const row = rows.first();
  assert.match(await row.innerText(), /Student: Alex Kim/);
  assert.equal(await row.getAttribute('data-status'), 'scheduled');
  const lessonId = Number((await row.getAttribute('data-testid')).slice('lesson-'.length));

  // "Mark completed": the server answers the lesson and the chat it opened.
  const answered = teacher.waitForResponse((r) => r.url().endsWith(`/api/lessons/${lessonId}/complete`));
  await dialog.getByTestId(`complete-lesson-${lessonId}`).click();
  const answer = await answered;
  assert.equal(answer.status(), 200);
  const body = await answer.json();
  assert.equal(body.lesson.status, 'completed');
  assert.equal(body.lesson.student_name, 'Alex Kim');
  assert.notEqual(body.chat_id, chatId);
  alexChat = body.chat_id;
  await teacher.locator(`[data-testid="lesson-${lessonId}"][data-status="completed"]`).waitFor();
  await dialog.getByTestId(`open-lesson-chat-${lessonId}`).waitFor();
  assert.equal(await dialog.getByTestId(`complete-lesson-${lessonId}`).count(), 0);

  // The chat appears live in both lists (`chat_created` on the stream), no reload.
  const item = page.getByTestId(`chat-${alexChat}`);
  await item.filter({ hasText: 'Иван Петров' }).waitFor();
  await teacher.getByTestId(`chat-${alexChat}`).filter({ hasText: 'Alex Kim' }).waitFor();
  for (const p of [teacher, page]) assert.equal(await p.evaluate(() => window.stayedLoaded), true, 'not reloaded');
  // Whether the new partner is online is fetched with the new chat.
  await item.locator('.avatar[data-presence="online"]').waitFor();
  await screenshot(teacher, '06a-lesson-completed');

  // Closed and opened again, the panel has no scheduled lesson left.
  await dialog.getByTestId('close-lessons').click();
  await dialog.waitFor({ state: 'detached' });
  await teacher.getByTestId('lessons-button').click();
  await dialog.getByTestId('no-lessons').waitFor();
  await teacher.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
});

test('on a phone: unread badges count up, older pages load on scrolling up', async () => {
  const page = pages.alex;
  const item = page.getByTestId(`chat-${alexChat}`);

  // 120 messages from Иван: Alex's badge counts them as they arrive.
  const total = 120;
  for (let n = 1; n <= total; n++) {
    const answer = await api(pages.teacher, 'POST', '/api/messages', { chat_id: alexChat, content: `Задание ${n} ✏️` });
    assert.equal(answer.status, 201);
  }
  await page.getByTestId(`unread-${alexChat}`).filter({ hasText: '99+' }).waitFor();
  await item.filter({ hasText: `Задание ${total} ✏️` }).waitFor();
  await screenshot(page, '06-phone-list');

  // Opening it: the list gives way to the conversation, the last 50 are shown at the bottom.
  await item.click();
  await waitForMessage(page, `Задание ${total} ✏️`);
  assert.equal(await page.locator('nav[aria-label="Chats"]').isVisible(), false);
  assert.equal(await page.getByTestId(`unread-${alexChat}`).count(), 0);
  assert.equal(await page.locator(SAVED).count(), 50);
  const scroller = page.locator('.messages');
  const atBottom = () => scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2);
  assert.equal(await atBottom(), true);

  // Scrolling to the top loads the next page above, and what was on screen stays put.
  const firstBefore = (await shownIds(page))[0];
  // Measured in the same task as the scroll, before the older page can arrive.
  const offsetBefore = await scroller.evaluate((el, id) => {
    el.scrollTo({ top: 0 });
    const message = document.querySelector(`[data-testid="message-${id}"]`);
    return message.getBoundingClientRect().top - el.getBoundingClientRect().top;
  }, firstBefore);
  await page.waitForFunction((selector) => document.querySelectorAll(selector).length === 100, SAVED);
  const offsetAfter = await scroller.evaluate((el, id) => {
    const message = document.querySelector(`[data-testid="message-${id}"]`);
    return message.getBoundingClientRect().top - el.getBoundingClientRect().top;
  }, firstBefore);
  assert.ok(Math.abs(offsetAfter - offsetBefore) < 4, `the message that was first stays put (${offsetBefore} → ${offsetAfter})`);
  assert.ok((await scroller.evaluate((el) => el.scrollTop)) > 0);

  await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
  await page.waitForFunction(({ selector, total }) => document.querySelectorAll(selector).length === total, {
    selector: SAVED,
    total,
  });
  await page.getByText('Beginning of the conversation').waitFor();
  const ids = await shownIds(page);
  assert.equal(new Set(ids).size, total, 'no duplicates');
  assert.deepEqual(
    ids,
    [...ids].sort((x, y) => x - y),
    'ordered by id',
  );
  const texts = await page.locator(`${SAVED} .text`).allInnerTexts();
  assert.deepEqual(
    texts,
    Array.from({ length: total }, (_, i) => `Задание ${i + 1} ✏️`),
  );

  // Scrolled up, a new message does not yank the view: a pill offers to jump down.
  await api(pages.teacher, 'POST', '/api/messages', { chat_id: alexChat, content: 'Проверьте последнее 👇' });
  await page.getByTestId('new-messages').filter({ hasText: '1 new message' }).waitFor();
  assert.equal(await atBottom(), false);
  await page.getByTestId('new-messages').click();
  await page.waitForFunction(
    () => {
      const el = document.querySelector('.messages');
      return el.scrollHeight - el.scrollTop - el.clientHeight < 2;
    },
  );
  await page.getByTestId('new-messages').waitFor({ state: 'detached' });
  await screenshot(page, '07-phone-conversation');

  // Back to the list.
  await page.getByRole('button', { name: 'Back to chats' }).click();
  await item.waitFor();
});

test('in Russian: a ru-RU browser gets Russian, plurals agree, and the RU/EN switch changes it and is remembered', async () => {
  const page = (pages.russian = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'ru-RU' }));
  await page.getByRole('heading', { name: 'Вход' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ru');
  assert.match(await page.getByTestId('login-ivan@demo.school').innerText(), /Преподаватель/);
  assert.match(await page.getByTestId('login-maria@demo.school').innerText(), /Ученик/);
  assert.match(await page.getByTestId('login-admin@demo.school').innerText(), /Администратор/);
  assert.equal(await page.getByTestId('lang-ru').getAttribute('aria-pressed'), 'true');
  await screenshot(page, '08a-ru-sign-in');
  // The switch works on the sign-in page too.
  await page.getByTestId('lang-en').click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.match(await page.getByTestId('login-ivan@demo.school').innerText(), /Teacher/);
  await page.getByTestId('lang-ru').click();
  await page.getByRole('heading', { name: 'Вход' }).waitFor();

  // Alex (who has read everything) in a Russian browser; Иван writes him, the badge agrees in number.
  await page.getByTestId('login-alex@demo.school').click();
  await page.locator('nav[aria-label="Чаты"]').waitFor();
  await waitConnection(page, 'live');
  assert.equal(await page.getByTestId('connection').innerText(), 'в сети');
  await waitUnreadCount(page, 0);
  const badge = page.getByTestId(`unread-${alexChat}`);
  const forms = [
    [1, '1 непрочитанное сообщение'],
    [2, '2 непрочитанных сообщения'],
    [5, '5 непрочитанных сообщений'],
  ];
  let written = 0;
  for (const [count, label] of forms) {
    for (; written < count; written++) {
      const content = `Урок ${written + 1} 📘`;
      const answer = await api(pages.teacher, 'POST', '/api/messages', { chat_id: alexChat, content });
      assert.equal(answer.status, 201);
    }
    await badge.filter({ hasText: label }).waitFor();
    assert.equal(await badge.getAttribute('title'), label);
  }
  await waitTitle(page, '(5) Tutorchat');
  await waitUnreadCount(page, 5);
  assert.equal(await badgeCount(page, alexChat), 5);
  assert.match(await page.getByTestId(`chat-${alexChat}`).innerText(), /Преподаватель/);
  await page.getByRole('button', { name: 'Выйти' }).waitFor();
  await screenshot(page, '08b-ru-unread');

  // To English at once, and it stays English after a reload.
  await page.getByTestId('lang-en').click();
  await badge.filter({ hasText: '5 unread messages' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.equal(await page.getByTestId('connection').innerText(), 'live');
  await page.reload();
  await badge.filter({ hasText: '5 unread messages' }).waitFor();
  assert.equal(await badgeCount(page, alexChat), 5);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');

  // Opening the chat in Russian: days, the pill and the composer speak Russian; reading clears the badge.
  await page.getByTestId('lang-ru').click();
  await page.getByTestId(`chat-${alexChat}`).click();
  await waitForMessage(page, 'Урок 5 📘');
  await page.getByTestId('composer').and(page.getByPlaceholder('Напишите сообщение…')).waitFor();
  await page.locator('.day-separator').filter({ hasText: 'Сегодня' }).first().waitFor();
  await page.getByTestId('presence').filter({ hasText: /^в сети$/ }).waitFor();
  await badge.waitFor({ state: 'detached' });
  await waitUnreadCount(page, 0);
  await waitTitle(page, 'Tutorchat');
  await screenshot(page, '08c-ru-conversation');
});

test('a killed replica: the page shows reconnecting, then live, and misses nothing', async () => {
  const { student, teacher } = pages;
  await teacher.getByTestId(`chat-${chatId}`).click();
  await waitForMessage(teacher, 'Отправлю ещё раз 🔁');
  await waitConnection(teacher, 'live');

  await cluster.b.stop('SIGKILL');
  await waitConnection(teacher, 'reconnecting');
  await screenshot(teacher, '08-teacher-reconnecting');

  const whileDown = ['Пока вас не было — 1 🕐', 'Пока вас не было — 2 🕑', 'Пока вас не было — 3 🕒'];
  const ids = [];
  for (const text of whileDown) ids.push(await send(student, text));

  await cluster.b.start();
  await waitConnection(teacher, 'live');
  for (const [i, text] of whileDown.entries()) assert.deepEqual(await waitForMessage(teacher, text), [ids[i]]);
  // Presence is fetched again after the reconnect (events missed meanwhile are not replayed).
  await waitPresence(teacher, true);
  // Everything the student sees, the teacher sees: same ids, same order, nothing twice.
  assert.deepEqual(await shownIds(teacher), await shownIds(student));
  await screenshot(teacher, '09-teacher-after-reconnect');

  // And the live path works again after the restart.
  const after = await send(teacher, 'Я снова на связи 📶');
  assert.deepEqual(await waitForMessage(student, 'Я снова на связи 📶'), [after]);
});

test("attachments: the student (A) uploads an image, the teacher (B) sees the preview live and downloads the same bytes; a non-member's request for the file is 404", async () => {
  const { student, teacher, admin } = pages;
  for (const page of [student, teacher, admin]) await page.getByTestId(`chat-${chatId}`).click();
  await waitConnection(teacher, 'live');
  const input = student.getByTestId('attach-input');

  // Refused before uploading, with a clear message: a file over 25 MB.
  await input.setInputFiles({ name: 'лекция.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(25 * 1024 * 1024 + 1) });
  await student.getByTestId('upload-refused').filter({ hasText: '“лекция.mp4” is larger than 25 MB and was not added.' }).waitFor();
  assert.equal(await student.getByTestId('upload').count(), 0);
  await student.getByTestId('dismiss-refused').click();
  await student.getByTestId('upload-refused').waitFor({ state: 'detached' });

  // An image: it uploads at once, and a message of it alone (no text) can be sent.
  const png = makePng(64, 40, (x, y) => [x < 32 ? 230 : 70, y < 20 ? 120 : 200, 160]); // four colours: under 1 KB
  const posts = [];
  const recordPost = (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/messages') posts.push(request.postDataJSON());
  };
  student.on('request', recordPost);
  assert.equal(await student.getByTestId('send').isDisabled(), true);
  await input.setInputFiles({ name: 'доска.png', mimeType: 'image/png', buffer: png });
  const imageId = await uploaded(student, 'доска.png');
  assert.match(await student.getByTestId('upload').innerText(), new RegExp(`доска\\.png\\s+${png.length} B`));
  assert.equal(await student.getByTestId('send').isDisabled(), false);
  await student.getByTestId('send').click();
  await student.getByTestId(`attachment-image-${imageId}`).waitFor();
  await student.getByTestId('message-pending').waitFor({ state: 'detached' });
  assert.equal(await student.getByTestId('upload').count(), 0, 'the composer is empty again');
  student.off('request', recordPost);
  assert.deepEqual(posts, [{ chat_id: chatId, content: '', attachment_ids: [imageId] }]);
  const imageMessage = await messageWith(student, `attachment-image-${imageId}`);

  // The teacher, on the other replica, sees the image live, loaded, in a box of its size.
  const image = teacher.getByTestId(`attachment-image-${imageId}`);
  await image.waitFor();
  await teacher.waitForFunction((id) => {
    const img = document.querySelector(`[data-testid="attachment-image-${id}"]`);
    return img?.complete && img.naturalWidth > 0;
  }, imageId);
  assert.deepEqual(await image.evaluate((img) => [img.naturalWidth, img.naturalHeight]), [64, 40]);
  assert.deepEqual([await image.getAttribute('width'), await image.getAttribute('height')], ['64', '40']);
  assert.equal(await image.getAttribute('loading'), 'lazy');
  assert.equal(await messageWith(teacher, `attachment-image-${imageId}`), imageMessage);
  await waitRow(teacher, chatId, '🖼 Photo');
  await screenshot(teacher, '09a-teacher-sees-image');
  // What it downloads is what she uploaded, byte for byte, always as a download.
  const fetched = await fetchDigest(teacher, `/api/attachments/${imageId}`);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.sha256, sha256(png));
  assert.match(fetched.disposition ?? '', /^attachment;/);
  assert.equal(fetched.nosniff, 'nosniff');
  const history = await api(teacher, 'GET', `/api/chats/${chatId}/messages`);
  const saved = history.body.messages.find((m) => m.id === imageMessage);
  assert.equal(saved.type, 'image');
  assert.deepEqual(
    saved.attachments.map(({ id, name, content_type, size, sha256, width, height }) => ({ id, name, content_type, size, sha256, width, height })),
    [{ id: imageId, name: 'доска.png', content_type: 'image/png', size: png.length, sha256: sha256(png), width: 64, height: 40 }],
  );
  // A click shows it whole; Escape closes it.
  await teacher.getByTestId(`open-image-${imageId}`).click();
  await teacher.getByTestId('image-viewer').waitFor();
  await screenshot(teacher, '09b-image-viewer');
  await teacher.keyboard.press('Escape');
  await teacher.getByTestId('image-viewer').waitFor({ state: 'detached' });
  // The admin (read-only) sees and downloads it too.
  await admin.getByTestId(`attachment-image-${imageId}`).waitFor();
  assert.equal((await fetchDigest(admin, `/api/attachments/${imageId}`)).sha256, sha256(png));

  // Someone not in the chat (signed in on their own, in a private window) is refused it: as if it did not exist.
  const users = (await api(teacher, 'GET', '/api/dev/users')).body.users;
  const outsider = users.find((u) => u.role !== 'admin' && !['maria@demo.school', 'ivan@demo.school'].includes(u.email));
  assert.ok(outsider, 'a demo user outside the chat');
  const other = (pages.outsider = await openPage(browser, cluster.a.url));
  await signIn(other, outsider.email);
  assert.equal((await fetchDigest(other, `/api/attachments/${imageId}`)).status, 404);
  await other.context().close();

  // A file with a Cyrillic name and a caption: a chip whose link downloads it under its name.
  const text = Buffer.from('Ответ: x = 4\nПроверка: 2·4 − 8 = 0\n', 'utf8');
  await student.getByTestId('composer').fill('Решение задачи 5');
  await input.setInputFiles({ name: 'решение.txt', mimeType: 'text/plain', buffer: text });
  const fileId = await uploaded(student, 'решение.txt');
  await student.getByTestId('composer').press('Enter');
  const [fileMessage] = await waitForMessage(student, 'Решение задачи 5');
  assert.deepEqual(await waitForMessage(teacher, 'Решение задачи 5'), [fileMessage]);
  const chip = teacher.getByTestId(`attachment-file-${fileId}`);
  assert.equal(await messageWith(teacher, `attachment-file-${fileId}`), fileMessage);
  assert.equal(await chip.getAttribute('href'), `/api/attachments/${fileId}`);
  assert.equal(await chip.getAttribute('download'), 'решение.txt');
  assert.match(await chip.innerText(), new RegExp(`решение\\.txt\\s+${text.length} B`));
  await waitRow(teacher, chatId, '📎 Решение задачи 5');
  const [download] = await Promise.all([teacher.waitForEvent('download'), chip.click()]);
  assert.equal(download.suggestedFilename(), 'решение.txt');
  assert.equal(sha256(readFileSync(await download.path())), sha256(text));

  // Pasting an image and dropping a file on the conversation attach them too; × takes them out.
  await student.getByTestId('composer').focus();
  await student.evaluate((bytes) => {
    const clipboard = new DataTransfer();
    clipboard.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
    document.querySelector('[data-testid="composer"]').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }),
    );
  }, [...png]);
  await uploaded(student, 'image.png');
  const dropped = await student.evaluateHandle(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['черновик'], 'черновик.txt', { type: 'text/plain' }));
    return transfer;
  });
  await student.locator('.conversation').dispatchEvent('dragenter', { dataTransfer: dropped });
  await student.getByTestId('drop-overlay').waitFor();
  await student.locator('.conversation').dispatchEvent('drop', { dataTransfer: dropped });
  await student.getByTestId('drop-overlay').waitFor({ state: 'detached' });
  await uploaded(student, 'черновик.txt');
  await screenshot(student, '09c-composer-attachments');
  for (const name of ['image.png', 'черновик.txt']) {
    await student.locator(`[data-testid="upload"][data-name="${name}"]`).getByTestId('remove-upload').click();
  }
  await student.getByTestId('uploads').waitFor({ state: 'detached' });
  assert.equal(await student.getByTestId('send').isDisabled(), true);
});

test('the screenshot for the docs', async () => {
  const { teacher } = pages;
  await teacher.setViewportSize({ width: 1200, height: 760 });
  await teacher.getByTestId('composer').fill('Мария, отлично! Завтра разберём задачу 5 🎯');
  await teacher.mouse.move(600, 20); // no hover left over from earlier clicks
  await waitConnection(teacher, 'live');
  // A smaller window keeps the newest message in view.
  await teacher.waitForFunction(() => {
    const el = document.querySelector('.messages');
    return el.scrollHeight - el.scrollTop - el.clientHeight < 2;
  });
  const out = join(RESULTS_DIR, 'app.png');
  await teacher.screenshot({ path: out });
  if (process.env.UPDATE_SCREENSHOT === '1') {
    const docs = resolve(CLIENT_DIR, '../docs');
    mkdirSync(docs, { recursive: true });
    copyFileSync(out, join(docs, 'screenshot.png'));
  }
  await teacher.getByTestId('composer').fill('');
});

test('groups: the teacher (B) creates a group of three; it appears live for both students (A) and messages cross replicas with their senders named', async () => {
  const { student: maria, russian: alex, teacher, admin } = pages;
  ids.maria = await myId(maria);
  ids.alex = await myId(alex);
  ids.ivan = await myId(teacher);
  // Only teachers and admins create groups.
  assert.equal(await maria.getByTestId('new-group').count(), 0);

  await teacher.getByTestId('new-group').click();
  const dialog = teacher.getByTestId('new-group-dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByTestId('pick-ivan@demo.school').count(), 0, 'not oneself');
  assert.equal(await dialog.getByTestId('pick-admin@demo.school').count(), 0, 'admins are nobody’s members');
  assert.equal(await dialog.getByTestId('create-group').isDisabled(), true, 'a title first');
  await dialog.getByTestId('group-title').fill('Алгебра, 9 класс 📐');
  await dialog.getByTestId('pick-maria@demo.school').check();
  await dialog.getByTestId('pick-alex@demo.school').check();
  await screenshot(teacher, '10a-new-group');
  await dialog.getByTestId('create-group').click();
  await dialog.waitFor({ state: 'detached' });
  // The new group opens at once.
  await teacher.waitForFunction(() => /^\/chats\/\d+$/.test(location.pathname));
  groupId = Number(new URL(teacher.url()).pathname.split('/')[2]);
  assert.notEqual(groupId, chatId);
  await teacher.getByTestId('conversation-title').filter({ hasText: 'Алгебра, 9 класс 📐' }).waitFor();
  await teacher.getByTestId('member-count').filter({ hasText: '3 members' }).waitFor();
  await waitRow(teacher, groupId, '3 members');

  // Both students see it arrive in their lists (Alex's page speaks Russian), and so does the admin.
  await waitRow(maria, groupId, 'Алгебра, 9 класс 📐');
  await waitRow(maria, groupId, '3 members');
  await waitRow(alex, groupId, '3 участника');
  await waitRow(admin, groupId, '3 members');
  assert.equal(await maria.getByTestId(`chat-${groupId}`).getAttribute('data-kind'), 'group');
  await maria.getByTestId(`chat-${groupId}`).click();
  await alex.getByTestId(`chat-${groupId}`).click();
  for (const page of [maria, alex]) await page.getByTestId('conversation-title').filter({ hasText: 'Алгебра' }).waitFor();
  await maria.getByTestId('member-count').filter({ hasText: '3 members' }).waitFor();
  await alex.getByTestId('member-count').filter({ hasText: '3 участника' }).waitFor();

  // Messages cross replicas, each once, with the sender's name above the messages of others.
  sent.group = await send(teacher, 'Всем привет! Контрольная в пятницу 📝');
  for (const page of [maria, alex]) {
    assert.deepEqual(await waitForMessage(page, 'Всем привет! Контрольная в пятницу 📝'), [sent.group]);
    assert.equal(await senderShown(page, sent.group), 'Иван Петров');
  }
  assert.equal(await senderShown(teacher, sent.group), '', 'not above our own');
  const fromMaria = await send(maria, 'Поняла, спасибо! 🙏');
  const fromAlex = await send(alex, 'Ок 👍');
  for (const page of [teacher, alex]) assert.deepEqual(await waitForMessage(page, 'Поняла, спасибо! 🙏'), [fromMaria]);
  for (const page of [teacher, maria]) assert.deepEqual(await waitForMessage(page, 'Ок 👍'), [fromAlex]);
  assert.equal(await senderShown(teacher, fromMaria), 'Мария Иванова');
  assert.equal(await senderShown(teacher, fromAlex), 'Alex Kim');
  assert.equal(await senderShown(maria, fromAlex), 'Alex Kim');
  assert.equal(await senderShown(alex, fromMaria), 'Мария Иванова');
  assert.equal(await teacher.getByTestId(`message-${fromAlex}`).locator('.message-avatar .avatar').innerText(), 'AK');
  // The list says who wrote last.
  await waitRow(teacher, groupId, 'Alex Kim: Ок 👍');
  await waitRow(alex, groupId, 'Вы: Ок 👍');

  // Two of them type at once: the teacher sees both named.
  const typing = [maria, alex].map((page) => page.getByTestId('composer').pressSequentially('Вопрос про задачу', { delay: 120 }));
  const both = ids.maria < ids.alex ? 'Мария Иванова and Alex Kim' : 'Alex Kim and Мария Иванова'; // in id order
  await teacher.getByTestId('typing').filter({ hasText: `${both} are typing…` }).waitFor();
  await Promise.all(typing);
  await screenshot(teacher, '10b-group-typing');
  for (const page of [maria, alex]) await page.getByTestId('composer').fill('');
  await teacher.waitForFunction(() => document.querySelector('[data-testid="typing"]')?.textContent === '', null, { timeout: 3_000 });
  await screenshot(maria, '10c-group-student');
});

test('groups: the teacher removes a student whose tab is open on the other replica; it says so and receives nothing more', async () => {
  const { student: maria, russian: alex, teacher, alex: alexPhone } = pages;
  await teacher.getByTestId('members-button').click();
  const panel = teacher.getByTestId('group-panel');
  for (const id of [ids.ivan, ids.maria, ids.alex]) await panel.getByTestId(`member-${id}`).waitFor();
  assert.match(await panel.getByTestId(`member-${ids.ivan}`).innerText(), /owner/);
  assert.equal(await panel.getByTestId(`remove-member-${ids.ivan}`).count(), 0, 'the owner does not remove himself here');
  await screenshot(teacher, '11-group-members');
  // A student cannot manage the group: no remove buttons, no rename, only "Leave".
  await maria.getByTestId('members-button').click();
  const hers = maria.getByTestId('group-panel');
  await hers.getByTestId(`member-${ids.alex}`).waitFor();
  assert.equal(await hers.locator('[data-testid^="remove-member-"], [data-testid="rename-input"]').count(), 0);
  assert.equal(await hers.getByTestId('leave-group').count(), 1);
  await hers.getByTestId('close-group-panel').click();

  await panel.getByTestId(`remove-member-${ids.alex}`).click();
  await panel.getByTestId(`member-${ids.alex}`).waitFor({ state: 'detached' });
  await panel.getByTestId('close-group-panel').click();

  // His tab (A, in Russian) says so, the composer is gone, the list marks the group.
  const ended = alex.getByTestId('group-ended');
  await ended.waitFor();
  assert.equal(await ended.getAttribute('data-reason'), 'removed');
  assert.match(await ended.innerText(), /Вас удалили из группы/);
  assert.equal(await alex.getByTestId('composer').count(), 0);
  await alex.locator('.system-line').filter({ hasText: 'Вас удалили из группы' }).waitFor();
  await alex.getByTestId(`ended-${groupId}`).filter({ hasText: 'Вас удалили из группы' }).waitFor();
  // His phone (B) too.
  await alexPhone.getByTestId(`ended-${groupId}`).filter({ hasText: 'You were removed from the group' }).waitFor();
  // The others see the line and the new count.
  await maria.locator('.system-line').filter({ hasText: 'Иван Петров removed Alex Kim' }).waitFor();
  await maria.getByTestId('member-count').filter({ hasText: '2 members' }).waitFor();
  await teacher.locator('.system-line').filter({ hasText: 'Иван Петров removed Alex Kim' }).waitFor();
  await screenshot(alex, '11a-removed-from-group');

  // What is sent afterwards reaches Мария, never his tab.
  const after = await send(teacher, 'Дальше — только для Марии 🤫');
  assert.deepEqual(await waitForMessage(maria, 'Дальше — только для Марии 🤫'), [after]);
  const shownBefore = await shownIds(alex);
  await alex.waitForTimeout(1_500); // a replica that leaked it would have delivered it by now
  assert.deepEqual(await shownIds(alex), shownBefore);
  assert.ok(!shownBefore.includes(after));
  assert.equal(await alex.locator(`[data-testid="message-${after}"]`).count(), 0);
  assert.equal(await alexPhone.getByTestId(`chat-${groupId}`).filter({ hasText: 'только для Марии' }).count(), 0);
  // The server still shows him what he read while a member, and nothing from after: the same
  // rule a resumed stream follows. Writing is refused.
  const history = await api(alex, 'GET', `/api/chats/${groupId}/messages`);
  assert.equal(history.status, 200);
  assert.ok(history.body.messages.length > 0, 'his membership period');
  assert.ok(!history.body.messages.some((m) => m.id === after), 'nothing after his removal');
  // (Not a member now: the chat is not his to write in, as if it did not exist.)
  const refused = await api(alex, 'POST', '/api/messages', { chat_id: groupId, content: 'я ещё здесь?' });
  assert.equal(refused.status, 404);
});

test('groups: the owner renames the group, a student leaves it, and the inbox groups chats by context and searches them', async () => {
  const { student: maria, teacher } = pages;
  await teacher.getByTestId('members-button').click();
  const panel = teacher.getByTestId('group-panel');
  await panel.getByTestId('rename-input').fill('Алгебра 9Б 🧮');
  await panel.getByTestId('rename-save').click();
  await panel.getByRole('heading', { name: 'Members of Алгебра 9Б 🧮' }).waitFor();
  await panel.getByTestId('close-group-panel').click();
  await maria.getByTestId('conversation-title').filter({ hasText: 'Алгебра 9Б 🧮' }).waitFor();
  await maria.locator('.system-line').filter({ hasText: 'Иван Петров renamed the group to “Алгебра 9Б 🧮”' }).waitFor();
  await waitRow(maria, groupId, 'Алгебра 9Б 🧮');

  // She leaves: her conversation ends, the teacher sees her go.
  await maria.getByTestId('members-button').click();
  await maria.getByTestId('leave-group').click();
  await maria.getByTestId('group-panel').waitFor({ state: 'detached' });
  await maria.locator('[data-testid="group-ended"][data-reason="left"]').filter({ hasText: 'You left the group' }).waitFor();
  await maria.getByTestId(`ended-${groupId}`).filter({ hasText: 'You left the group' }).waitFor();
  await teacher.locator('.system-line').filter({ hasText: 'Мария Иванова left the group' }).waitFor();
  await teacher.getByTestId('member-count').filter({ hasText: '1 member' }).waitFor();

  // A second group about a course (created through the API): the teacher's inbox gets sections.
  const created = await api(teacher, 'POST', '/api/chats', {
    kind: 'group',
    title: 'Пробный ЕГЭ',
    participant_ids: [ids.alex],
    context: { type: 'course', id: 12, title: 'ЕГЭ математика' },
  });
  assert.equal(created.status, 201);
  const ege = created.body.id;
  const section = teacher.getByTestId('section-course:12');
  await section.getByTestId(`chat-${ege}`).waitFor();
  await teacher.getByTestId('section-toggle-none').filter({ hasText: 'Other chats' }).waitFor();
  for (const id of [chatId, alexChat, groupId]) await teacher.getByTestId('section-none').getByTestId(`chat-${id}`).waitFor();
  assert.match(await section.getByTestId('section-toggle-course:12').textContent(), /ЕГЭ математика/); // shown in capitals
  // Collapsing a section hides its chats; opening it shows them again.
  await teacher.getByTestId('section-toggle-course:12').click();
  await teacher.getByTestId(`chat-${ege}`).waitFor({ state: 'detached' });
  assert.equal(await teacher.getByTestId('section-toggle-course:12').getAttribute('aria-expanded'), 'false');
  await teacher.getByTestId('section-toggle-course:12').click();
  await teacher.getByTestId(`chat-${ege}`).waitFor();
  await screenshot(teacher, '12a-inbox-sections');

  // Search: a group's title or a partner's name, any case.
  const search = teacher.getByTestId('search-chats');
  await search.fill('алгебра');
  await teacher.getByTestId(`chat-${chatId}`).waitFor({ state: 'detached' });
  assert.equal(await teacher.locator('[data-testid^="chat-"][data-kind]').count(), 1);
  await teacher.getByTestId(`chat-${groupId}`).waitFor();
  await search.fill('МАРИЯ');
  await teacher.getByTestId(`chat-${chatId}`).waitFor();
  assert.equal(await teacher.locator('[data-testid^="chat-"][data-kind]').count(), 1);
  await search.fill('нет такого');
  await teacher.getByTestId('no-matches').waitFor();
  await search.fill('');
  for (const id of [chatId, alexChat, groupId, ege]) await teacher.getByTestId(`chat-${id}`).waitFor();
});

test('inquiries: the teacher (B) creates a link; a visitor with no account opens it in a private window (A), gives a name and a question, and they talk live both ways', async () => {
  const { teacher, admin } = pages;
  await teacher.getByTestId('inquiry-links').click();
  const dialog = teacher.getByTestId('inquiry-links-dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByTestId('create-inquiry-link').isDisabled(), true, 'a title first');
  await dialog.getByTestId('inquiry-title').fill('Пробное занятие по алгебре');
  await dialog.getByTestId('inquiry-course').fill('ЕГЭ математика');
  await dialog.getByTestId('create-inquiry-link').click();
  const link = dialog.locator('[data-testid^="inquiry-link-"]').filter({ hasText: 'Пробное занятие по алгебре' });
  await link.waitFor();
  inquiry.linkId = Number((await link.getAttribute('data-testid')).slice('inquiry-link-'.length));
  // The full address, to copy: this site's origin and the link's path.
  const url = await dialog.getByTestId(`inquiry-url-${inquiry.linkId}`).inputValue();
  assert.match(url, new RegExp(`^${cluster.b.url}/inquiry/[A-Za-z0-9]{32}$`));
  inquiry.path = new URL(url).pathname;
  const listed = await api(teacher, 'GET', '/api/inquiry-links');
  const saved = listed.body.links.find((l) => l.id === inquiry.linkId);
  assert.deepEqual(saved.context, { type: 'course', title: 'ЕГЭ математика' });
  assert.equal(saved.host_id, ids.ivan);
  await screenshot(teacher, '13a-inquiry-links');
  await dialog.getByTestId('close-inquiry-links').click();
  await dialog.waitFor({ state: 'detached' });

  // A private window: a browser context of its own, with no cookie at all, on the other replica.
  const guest = (pages.guest = await openPage(browser, cluster.a.url, DESKTOP, inquiry.path));
  // Everything her page asks the API, and what was refused (as forbidden, or as not hers to see).
  const requested = new Set();
  const forbidden = [];
  guest.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/api/')) requested.add(`${request.method()} ${pathname.replace(/\/\d+/g, '/N')}`);
  });
  guest.on('response', (response) => {
    if ([403, 404].includes(response.status())) forbidden.push(new URL(response.url()).pathname);
  });
  await guest.getByTestId('inquiry-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
  assert.deepEqual(await guest.context().cookies(), [], 'no session of any kind');
  assert.match(await guest.getByTestId('inquiry-host').innerText(), /Иван Петров/);
  await guest.getByText('Course: ЕГЭ математика').waitFor();
  // A name and a question, both: the question opens the chat as its first message.
  const start = guest.getByTestId('start-inquiry');
  assert.equal(await start.isDisabled(), true, 'a name and a question first');
  await guest.getByTestId('guest-name').fill('Ольга Смирнова');
  assert.equal(await start.isDisabled(), true, 'a question too');
  await guest.getByTestId('guest-question').fill('  \n ');
  assert.equal(await start.isDisabled(), true, 'a blank question is none');
  await guest.getByTestId('guest-question').fill('я'.repeat(10_001));
  await guest.getByTestId('guest-question-too-long').filter({ hasText: 'at most 10,000 characters' }).waitFor();
  assert.equal(await start.isDisabled(), true, 'a question is a message: 10,000 characters at most');
  const question = 'Здравствуйте! Можно записаться на пробный урок? 🙂';
  await guest.getByTestId('guest-question').fill(question);
  assert.equal(await start.isDisabled(), false);
  await screenshot(guest, '13b-inquiry-page');
  await start.click();

  // Her one conversation opens, titled with the inquiry and the teacher.
  await guest.getByTestId('guest-workspace').waitFor();
  await guest.getByTestId('conversation-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
  await guest.locator('.conversation-subtitle').filter({ hasText: 'Иван Петров · Teacher' }).waitFor();
  assert.equal(await guest.locator('nav[aria-label="Chats"]').count(), 0, 'no chat list');
  const cookies = await guest.context().cookies();
  assert.deepEqual(cookies.map((c) => [c.name, c.httpOnly]), [['tutorchat_guest', true]]);
  await waitConnection(guest, 'live');
  const me = await api(guest, 'GET', '/api/me');
  assert.equal(me.body.user.role, 'guest');
  ids.guest = me.body.user.id;
  const own = await api(guest, 'GET', '/api/chats');
  assert.equal(own.body.chats.length, 1);
  assert.equal(own.body.chats[0].kind, 'inquiry');
  assert.equal(own.body.chats[0].participant.id, ids.ivan);
  inquiry.chatId = own.body.chats[0].id;
  // Her question is the chat's first message, hers, on her page from the start.
  const [asked] = await waitForMessage(guest, question);
  const history = await api(guest, 'GET', `/api/chats/${inquiry.chatId}/messages`);
  assert.deepEqual(history.body.messages.map((m) => [m.id, m.sender_id, m.content]), [[asked, ids.guest, question]]);

  // The teacher's list shows it live, in the course's section, with its title, a guest badge and her name; the admin's too.
  const row = teacher.getByTestId(`chat-${inquiry.chatId}`);
  await row.filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
  assert.equal(await row.getAttribute('data-kind'), 'inquiry');
  assert.equal(await teacher.getByTestId(`badge-${inquiry.chatId}`).innerText(), 'Guest');
  assert.match(await teacher.getByTestId(`who-${inquiry.chatId}`).innerText(), /Ольга Смирнова/);
  await teacher.getByTestId('section-course:12').getByTestId(`chat-${inquiry.chatId}`).waitFor();
  await waitRow(admin, inquiry.chatId, 'Пробное занятие по алгебре');
  // Both names (in the order of whichever came last: the event names the teacher first, the admin list the guest).
  const adminRow = await admin.getByTestId(`chat-${inquiry.chatId}`).innerText();
  assert.match(adminRow, /Иван Петров · Ольга Смирнова|Ольга Смирнова · Иван Петров/);

  // They talk, live both ways, across the replicas.
  await row.filter({ hasText: question }).waitFor();
  await row.click();
  await teacher.getByTestId('conversation-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
  await teacher.getByTestId(`person-${ids.guest}`).filter({ hasText: 'Ольга Смирнова · Guest' }).waitFor();
  assert.deepEqual(await waitForMessage(teacher, question), [asked]);
  const answer = 'Здравствуйте, Ольга! Конечно, в субботу в 11:00 📅';
  const answered = await send(teacher, answer);
  assert.deepEqual(await waitForMessage(guest, answer), [answered]);
  await guest.getByTestId('composer').pressSequentially('Отлично', { delay: 100 });
  await teacher.getByTestId('typing').filter({ hasText: 'Ольга Смирнова is typing…' }).waitFor();
  await guest.getByTestId('composer').press('Enter');
  const [thanks] = await waitForMessage(teacher, 'Отлично');
  assert.deepEqual(await waitForMessage(guest, 'Отлично'), [thanks]);
  // He has read hers (his chat is open): ✓✓ on her side.
  await guest.locator(`[data-testid="ticks-${asked}"][data-read="true"]`).waitFor();
  await screenshot(guest, '13c-guest-chat');
  await screenshot(teacher, '13d-teacher-inquiry');

  // A reload keeps her in her chat (her cookie), with its history.
  await guest.reload();
  await guest.getByTestId('conversation-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
  assert.deepEqual(await waitForMessage(guest, answer), [answered]);
  await waitConnection(guest, 'live');

  // Her page asked for nothing but what a guest may use (no unread count, presence or user
  // list), nothing was refused, and the server refuses her everything else.
  const allowed = new Set([
    'GET /api/me',
    'GET /api/chats',
    'GET /api/chats/N',
    'GET /api/chats/N/messages',
    'GET /api/events/chat',
    'POST /api/chats/N/read',
    'POST /api/chats/N/typing',
    'POST /api/messages',
  ]);
  const unexpected = [...requested].filter((r) => !allowed.has(r) && !r.startsWith('GET /api/inquiry/') && !r.startsWith('POST /api/inquiry/'));
  assert.deepEqual(unexpected, []);
  assert.deepEqual(forbidden, []);
  for (const path of ['/api/unread-count', `/api/presence/${ids.ivan}`, '/api/inquiry-links', '/api/admin/chats']) {
    assert.equal((await api(guest, 'GET', path)).status, 403, path);
  }
  // Other chats are not hers to see: as if they did not exist.
  for (const path of [`/api/chats/${chatId}/messages`, `/api/chats/${groupId}`]) {
    assert.equal((await api(guest, 'GET', path)).status, 404, path);
  }
  const status = await guest.evaluate(async () => (await fetch('/api/unread-count')).status);
  assert.equal(status, 403);
});

test("inquiries: an idle inquiry is closed by the server, live: the teacher still reads it, and the guest's visit ends with it, in her language", async () => {
  const { teacher, guest } = pages;
  await guest.getByTestId('lang-ru').click();
  await guest.getByTestId('composer').and(guest.getByPlaceholder('Напишите сообщение…')).waitFor();
  const text = 'А можно взять с собой учебник?';
  const id = await send(guest, text);
  assert.deepEqual(await waitForMessage(teacher, text), [id]);
  // What her page asks from the moment the chat closes.
  const asked = [];
  const record = (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/api/')) asked.push(`${request.method()} ${pathname.replace(/\/\d+/g, '/N')}`);
  };
  // A replica that closes the inquiries idle for 2 s (any replica may: the log makes it once).
  const closer = await cluster.addReplica('replica-closer', { INQUIRY_IDLE_SECS: '2' });
  try {
    await guest.getByTestId('guest-ended').filter({ hasText: 'Этот разговор закрыт' }).waitFor({ timeout: 20_000 });
    guest.on('request', record);
    await teacher.getByTestId('chat-closed').filter({ hasText: 'This inquiry is closed' }).waitFor({ timeout: 20_000 });
  } finally {
    await closer.stop();
  }
  // Hers: the conversation stays on screen, closed, without a composer; her stream ended for good.
  assert.equal(await guest.getByTestId('guest-ended').getAttribute('data-reason'), 'closed');
  assert.match(await guest.getByTestId('guest-ended').innerText(), /откройте ссылку ещё раз/);
  await waitForMessage(guest, text);
  await waitConnection(guest, 'ended');
  for (const page of [guest, teacher]) {
    assert.equal(await page.getByTestId('composer').count(), 0);
    assert.equal(await page.locator('[data-testid^="reply-"], [data-testid^="edit-"]').count(), 0);
  }
  await teacher.getByTestId(`closed-${inquiry.chatId}`).waitFor();
  assert.equal(await teacher.getByTestId(`chat-${inquiry.chatId}`).getAttribute('data-closed'), 'true');
  await screenshot(guest, '13f-guest-closed-ru');
  await screenshot(teacher, '13g-teacher-closed');

  // The server has ended her session: every request of hers is refused, and her page asks
  // nothing more (no reconnecting stream, no loop on the 401): well past SSE_RETRY_MS.
  await guest.waitForTimeout(2_500);
  guest.off('request', record);
  assert.deepEqual(asked.filter((r) => r === 'GET /api/events/chat' || r === 'GET /api/me'), [], `asked: ${asked}`);
  const ended = { error: 'this guest session has ended: the inquiry chat is closed', code: 'guest_session_ended' };
  const me = await api(guest, 'GET', '/api/me');
  assert.deepEqual([me.status, me.body.error, me.body.code], [401, ended.error, ended.code]);
  const refused = await api(guest, 'POST', '/api/messages', { chat_id: inquiry.chatId, content: 'Вы ещё здесь?' });
  assert.deepEqual([refused.status, refused.body.code], [401, ended.code]);

  // The teacher still reads it all, and it says when it closed; writing is refused.
  const history = await api(teacher, 'GET', `/api/chats/${inquiry.chatId}/messages`);
  assert.equal(history.status, 200);
  assert.ok(history.body.messages.some((m) => m.id === id));
  const listed = (await api(teacher, 'GET', '/api/chats?limit=500')).body.chats.find((c) => c.id === inquiry.chatId);
  assert.match(listed.closed_at, /^\d{4}-/);
  const late = await api(teacher, 'POST', '/api/messages', { chat_id: inquiry.chatId, content: 'Ольга, вы тут?' });
  assert.equal(late.status, 409);
  await teacher.reload();
  await teacher.getByTestId('chat-closed').waitFor();
  await waitForMessage(teacher, text);

  // A reload of hers says the same, in her language, instead of a broken page; asked once.
  guest.on('request', record);
  asked.length = 0;
  await guest.reload();
  await guest.getByTestId('guest-ended').filter({ hasText: 'Этот разговор закрыт' }).waitFor();
  await guest.waitForTimeout(1_500);
  guest.off('request', record);
  assert.deepEqual(asked, ['GET /api/me']);
  assert.equal(await guest.getByTestId('guest-workspace').count(), 0);
  await screenshot(guest, '13h-guest-ended-reload');
  // "Начать заново": the link's page, to ask something new (the link still works).
  await guest.getByTestId('start-again').click();
  await guest.getByTestId('guest-question').waitFor();
  assert.equal(await guest.getByTestId('guest-name').inputValue(), '');
});

test("inquiries: revoking a link closes the chats it opened, live, ending their guests' visits; it opens no new chat", async () => {
  const { teacher } = pages;
  // Another visitor, on B, opens a chat with the link.
  const visitor = (pages.secondGuest = await openPage(browser, cluster.b.url, DESKTOP, inquiry.path));
  await visitor.getByTestId('guest-name').fill('Пётр Соколов');
  const question = 'Есть ли занятия по вечерам?';
  await visitor.getByTestId('guest-question').fill(question);
  await visitor.getByTestId('start-inquiry').click();
  await visitor.getByTestId('guest-workspace').waitFor();
  await waitForMessage(visitor, question);
  await waitConnection(visitor, 'live');
  inquiry.secondChatId = (await api(visitor, 'GET', '/api/chats')).body.chats[0].id;
  await waitRow(teacher, inquiry.secondChatId, question);

  await teacher.getByTestId('inquiry-links').click();
  const dialog = teacher.getByTestId('inquiry-links-dialog');
  await dialog.getByText('the chats it opened are closed').waitFor();
  await dialog.getByTestId(`revoke-inquiry-${inquiry.linkId}`).click();
  await dialog.locator(`[data-testid="inquiry-link-${inquiry.linkId}"][data-revoked="true"]`).waitFor();
  assert.equal(await dialog.getByTestId(`inquiry-url-${inquiry.linkId}`).count(), 0);
  await dialog.getByTestId('close-inquiry-links').click();
  await dialog.waitFor({ state: 'detached' });

  // His chat closes at once: his visit ends, what he wrote stays on screen.
  const ended = visitor.getByTestId('guest-ended');
  await ended.filter({ hasText: 'This conversation is closed. To ask something new, open the link again.' }).waitFor();
  await waitConnection(visitor, 'ended');
  await waitForMessage(visitor, question);
  assert.equal(await visitor.getByTestId('composer').count(), 0);
  assert.equal((await api(visitor, 'GET', '/api/chats')).status, 401);
  await screenshot(visitor, '13e-guest-revoked');
  // The teacher sees it closed in his list, and reads it.
  await teacher.getByTestId(`closed-${inquiry.secondChatId}`).waitFor();
  await teacher.getByTestId(`chat-${inquiry.secondChatId}`).click();
  await teacher.getByTestId('chat-closed').waitFor();
  await waitForMessage(teacher, question);

  // A new visitor is told that the link does not work.
  const late = (pages.lateVisitor = await openPage(browser, cluster.b.url, DESKTOP, inquiry.path));
  await late.getByTestId('inquiry-missing').filter({ hasText: 'does not exist or has been revoked' }).waitFor();
  assert.equal(await late.getByTestId('guest-name').count(), 0);
  await screenshot(late, '13i-inquiry-revoked');
});

test("in Russian: the server's refusal is said in Russian from its code, never in its English words", async () => {
  const { teacher } = pages;
  // A link of Иван's, and a replica that lets one address open one inquiry a minute.
  const link = await api(teacher, 'POST', '/api/inquiry-links', { title: 'Консультация перед экзаменом' });
  assert.equal(link.status, 201);
  const limited = await cluster.addReplica('replica-limited', { RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN: '1' });
  try {
    // A first visitor from this address (the test's own, 127.0.0.1) opens a chat.
    const first = await openPage(browser, limited.url, DESKTOP, link.body.url);
    const opened = await api(first, 'POST', `/api/inquiry/${link.body.token}`, { name: 'Гость', message: 'Вы работаете летом?' });
    assert.equal(opened.status, 201);
    await first.context().close();

    // A second, in a Russian browser, is refused (429 `rate_limited`), and told so in Russian.
    const visitor = (pages.limitedVisitor = await openPage(browser, limited.url, { ...DESKTOP, locale: 'ru-RU' }, link.body.url));
    // Kept as they arrive (their bodies are read below): the page shows the refusal only after
    // its response came, so reading the body here would race the page.
    const refused = [];
    visitor.on('response', (response) => {
      if (response.request().method() === 'POST' && response.status() >= 400) refused.push(response);
    });
    await visitor.getByTestId('guest-name').fill('Анна Кузнецова');
    await visitor.getByTestId('guest-question').fill('Можно прийти на консультацию в субботу?');
    await visitor.getByTestId('start-inquiry').click();
    const error = visitor.getByTestId('inquiry-error');
    await error.filter({ hasText: 'Слишком много запросов. Подождите немного и попробуйте снова.' }).waitFor();
    assert.equal(refused.length, 1);
    const refusals = await Promise.all(refused.map((response) => response.json()));
    assert.equal(refusals[0].code, 'rate_limited');
    assert.ok(refusals[0].error.length > 0, 'the server gave its English sentence');
    const page = await visitor.locator('body').innerText();
    assert.ok(!page.includes(refusals[0].error), `the English sentence is not shown: ${refusals[0].error}`);
    assert.equal(await visitor.getByTestId('start-inquiry').isDisabled(), false, 'she may try again later');
    await screenshot(visitor, '13j-inquiry-refused-ru');
    await visitor.context().close();
  } finally {
    await limited.stop();
    await api(teacher, 'DELETE', `/api/inquiry-links/${link.body.id}`);
  }
});

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
  await tab.getByTestId('load-more').waitFor({ state: 'detached' });
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

test('signing out returns to the sign-in page, and the session is gone', async () => {
  const { student } = pages;
  await student.getByRole('button', { name: 'Sign out' }).click();
  await student.getByTestId('login-maria@demo.school').waitFor();
  assert.equal(new URL(student.url()).pathname, '/');
  const me = await student.evaluate(async () => (await fetch('/api/me')).status);
  assert.equal(me, 401);
});

test('when the session expires, the stream closes and the app asks to sign in again', async () => {
  const shortLived = await cluster.addReplica('replica-c', { DEV_TOKEN_TTL_SECS: '5' });
  const page = (pages.expiring = await openPage(browser, shortLived.url));
  await signIn(page, 'maria@demo.school');
  await waitConnection(page, 'live');
  await page.getByText('Your session has ended. Please sign in again.').waitFor({ timeout: 30_000 });
  await page.getByTestId('login-maria@demo.school').waitFor();
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
