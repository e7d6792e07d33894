// Helpers of the accessibility tests: signing in in any language, the four ways a page is
// opened (desktop and phone, English and Russian), opening and closing what a view shows, and
// seeding a conversation with every kind of thing a message can carry.

import assert from 'node:assert/strict';

import { DESKTOP, PHONE, openPage } from '../harness.mjs';
import { api, waitConnection } from '../app/helpers.mjs';

/** Every view is audited in each of these (`tag`: the screenshots' names). */
const ALL_SWEEPS = [
  { name: 'desktop, English', tag: 'desktop-en', options: { ...DESKTOP, locale: 'en-GB' } },
  { name: 'desktop, Russian', tag: 'desktop-ru', options: { ...DESKTOP, locale: 'ru-RU' } },
  { name: 'phone, English', tag: 'phone-en', options: { ...PHONE, locale: 'en-GB' } },
  { name: 'phone, Russian', tag: 'phone-ru', options: { ...PHONE, locale: 'ru-RU' } },
  // The dark colours (prefers-color-scheme: dark) have tokens of their own.
  { name: 'desktop, English, dark', tag: 'desktop-en-dark', options: { ...DESKTOP, locale: 'en-GB', colorScheme: 'dark' } },
];

/**
 * The sweeps to run: a desktop in English and a phone in Russian (each layout and each language
 * once); with `scripts/test --all` (E2E_ALL=1) every combination and the dark colours too.
 */
export const SWEEPS =
  process.env.E2E_ALL === '1' ? ALL_SWEEPS : ALL_SWEEPS.filter((sweep) => ['desktop-en', 'phone-ru'].includes(sweep.tag));

/** A new page (own context) of `sweep` at `url`, signed in as the demo user `email` (any language). */
export async function signedIn(browser, url, sweep, email) {
  const page = await openPage(browser, url, sweep.options);
  await page.getByTestId(`login-${email}`).click();
  await page.locator('nav.chat-list').waitFor();
  await waitConnection(page, 'live');
  return page;
}

/** Opens a chat from the list (on a phone, back to the list first). */
export async function openChat(page, chatId) {
  const back = page.locator('.back-button');
  if ((await back.count()) > 0 && (await back.isVisible())) await back.click();
  await page.getByTestId(`chat-${chatId}`).click();
  await page.locator('.conversation .message-list').waitFor();
}

/** Back to the list on a phone, where the conversation covers it; nothing on a desktop. */
export async function toList(page) {
  const back = page.locator('.back-button');
  if ((await back.count()) > 0 && (await back.isVisible())) await back.click();
  await page.locator('nav.chat-list').waitFor();
}

/** Clicks a message's action (reply, edit, delete, report, add-reaction), hovering it first. */
export async function messageAction(page, action, id) {
  await page.getByTestId(`message-${id}`).hover();
  await page.getByTestId(`${action}-${id}`).click();
}

/** Presses Escape and waits until `locator` is gone. */
export async function escape(page, locator) {
  await page.keyboard.press('Escape');
  await locator.waitFor({ state: 'detached' });
}

/** Asks the API from `page`, asserting the status. */
export async function call(page, status, method, path, body) {
  const answer = await api(page, method, path, body);
  assert.equal(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** The demo's chat of Мария and Иван, as `page`'s user lists it. */
export async function demoChatId(page) {
  const { chats } = await call(page, 200, 'GET', '/api/chats');
  return chats.find((c) => c.kind === 'direct').id;
}
