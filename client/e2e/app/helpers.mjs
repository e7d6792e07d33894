// The app's end-to-end steps share these: waiting for what a page shows, acting as a person
// would, asking the API from a page, and making test files.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

import { RESULTS_DIR } from '../harness.mjs';

export const SAVED = '[data-testid^="message-"]:not([data-testid="message-pending"])';
/** A replica's answer while its database is down, as the server gives it (`{"error", "code"}`). */
export const UNAVAILABLE = JSON.stringify({ error: 'the database cannot be reached right now', code: 'unavailable' });

export async function screenshot(page, name) {
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`) });
}

/** Ids of the saved messages shown, top to bottom. */
export function shownIds(page) {
  return page.locator(SAVED).evaluateAll((els) => els.map((el) => Number(el.dataset.testid.slice('message-'.length))));
}

/** Waits until exactly `count` saved messages have exactly this text; returns their ids. */
export async function waitForMessage(page, text, count = 1) {
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

export async function waitForGone(page, messageId) {
  await page.getByTestId(`message-${messageId}`).waitFor({ state: 'detached' });
}

export async function waitConnection(page, state) {
  await page.waitForFunction((state) => document.querySelector('[data-testid="connection"]')?.dataset.state === state, state);
}

/** Waits until the server counts `count` unread messages for the page's user (in `chats` chats). */
export async function waitUnreadCount(page, count, chats = count > 0 ? 1 : 0) {
  let last;
  for (let i = 0; i < 100; i++) {
    last = await api(page, 'GET', '/api/unread-count');
    if (last.status === 200 && last.body.unread_count === count && last.body.chats === chats) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`GET /api/unread-count: expected ${count} in ${chats} chats, last answer ${JSON.stringify(last)}`);
}

/** The unread badge of a chat: its exact count (0 without a badge). */
export async function badgeCount(page, id) {
  const badge = page.getByTestId(`unread-${id}`);
  return (await badge.count()) === 0 ? 0 : Number(await badge.getAttribute('data-count'));
}

export async function waitTitle(page, title) {
  await page.waitForFunction((title) => document.title === title, title);
}

/** Hovers a message and clicks one of its actions (reply, edit, delete). */
export async function messageAction(page, action, id) {
  await page.getByTestId(`message-${id}`).hover();
  await page.getByTestId(`${action}-${id}`).click();
}

export async function signIn(page, email) {
  await page.getByTestId(`login-${email}`).click();
  await page.locator('nav[aria-label="Chats"]').waitFor();
}

export async function send(page, text) {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  const [id] = await waitForMessage(page, text);
  await page.getByTestId('message-pending').waitFor({ state: 'detached' });
  return id;
}

/** Records the page's `POST /api/chats/{id}/typing` requests: `{ at, isTyping }`, in order. */
export function recordTyping(page) {
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
export async function waitNoTyping(page, id, timeout) {
  await page.waitForFunction(() => document.querySelector('[data-testid="typing"]')?.textContent === '', null, { timeout });
  await page.getByTestId(`typing-${id}`).waitFor({ state: 'detached', timeout });
}

/** Waits until the open conversation's header says whether its other participant is online. */
export async function waitPresence(page, online, timeout) {
  await page.locator(`[data-testid="presence"][data-online="${online}"]`).waitFor({ timeout });
}

/** The signed-in user's id. */
export async function myId(page) {
  const answer = await api(page, 'GET', '/api/me');
  assert.equal(answer.status, 200);
  return answer.body.user.id;
}

/** Waits until the page's list has a row for `id` saying `text`. */
export async function waitRow(page, id, text) {
  await page.getByTestId(`chat-${id}`).filter({ hasText: text }).waitFor();
}

/** The sender name a saved message shows above its text ('' without one). */
export async function senderShown(page, messageId) {
  const sender = page.getByTestId(`sender-${messageId}`);
  return (await sender.count()) === 0 ? '' : sender.innerText();
}

/** A same-origin API call from the page, as the app makes it (cookie and Origin included). */
export function api(page, method, path, body) {
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
export function makePng(width, height, pixel) {
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

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** `GET path` from the page (its cookies), as `<img>` and links fetch it: the status, the SHA-256 of the body, two headers. */
export function fetchDigest(page, path) {
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
export async function uploaded(page, name) {
  const chip = page.locator(`[data-testid="upload"][data-name="${name}"]`);
  await page.locator(`[data-testid="upload"][data-name="${name}"][data-status="done"]`).waitFor();
  return Number(await chip.getAttribute('data-attachment-id'));
}

/** The id of the saved message that shows `testId` (an attachment). */
export async function messageWith(page, testId) {
  const item = page.locator(SAVED).filter({ has: page.getByTestId(testId) });
  return Number((await item.getAttribute('data-testid')).slice('message-'.length));
}
