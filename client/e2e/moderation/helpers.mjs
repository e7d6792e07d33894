// Helpers of the moderation tests (moderation.test.mjs): signing in and opening the chat,
// sending, waiting for a hidden message's placeholder, checking a text is nowhere in a page,
// the Moderation dialog, and the export menu's downloads.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RESULTS_DIR } from '../harness.mjs';

/** What a hidden message shows instead of its text. */
export const HIDDEN = 'hidden by a moderator';

export async function screenshot(page, name) {
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`) });
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

/** Picks the demo user `email` on the sign-in page and waits for the chat list. */
export async function signIn(page, email) {
  await page.getByRole('button', { name: new RegExp(email.replace(/[.]/g, '\\.')) }).click();
  await page.getByRole('navigation', { name: 'Chats' }).waitFor();
}

export async function waitLive(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid="connection"]')?.dataset.state === 'live');
}

/** A saved message, by id. */
export function message(page, id) {
  return page.getByTestId(`message-${id}`);
}

/** The composer: its text field, by its label. */
export function composer(page) {
  return page.getByRole('textbox', { name: 'Message', exact: true });
}

/** Types `text` and sends it with Enter; returns the id of the saved message. */
export async function send(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  const saved = page.locator('[data-testid^="message-"]:not([data-testid="message-pending"])').filter({
    has: page.getByText(text, { exact: true }),
  });
  await saved.waitFor();
  await page.getByTestId('message-pending').waitFor({ state: 'detached' });
  return Number((await saved.getAttribute('data-testid')).slice('message-'.length));
}

/** Waits until message `id` shows the moderator's placeholder and no trace of `text`. */
export async function waitPlaceholder(page, id, text, who) {
  await page
    .waitForFunction(
      ({ id, text, placeholder }) => {
        const el = document.querySelector(`[data-testid="message-${id}"]`);
        return el?.dataset.hidden === 'true' && el.textContent.includes(placeholder) && !el.textContent.includes(text);
      },
      { id, text, placeholder: HIDDEN },
      { timeout: 15_000 },
    )
    .catch((error) => {
      throw new Error(`${who}: message ${id} never showed "${HIDDEN}" instead of its text: ${error.message}`);
    });
}

/** Asserts that `text` occurs nowhere in `html`; else fails showing where it is. */
export function assertAbsent(html, text, message) {
  const at = html.indexOf(text);
  if (at >= 0) assert.fail(`${message}: …${html.slice(Math.max(0, at - 300), at + text.length + 100)}…`);
}

/** The admin's Moderation dialog, opened from the header. */
export async function openModeration(page) {
  await page.getByRole('button', { name: /^Moderation/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Moderation' });
  await dialog.waitFor();
  return dialog;
}

export async function closeModeration(page) {
  const dialog = page.getByRole('dialog', { name: 'Moderation' });
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Opens the chat header's Export menu; returns the menu (a list of links). */
export async function openExportMenu(page) {
  const button = page.getByRole('button', { name: 'Export', exact: true });
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  const menu = page.getByRole('list', { name: 'Export this chat' });
  await menu.waitFor();
  return menu;
}

/** Clicks the Export menu's link `name` (JSON, HTML, PDF) and waits for the download: its file name and bytes. */
export async function download(page, name) {
  const menu = await openExportMenu(page);
  const [file] = await Promise.all([page.waitForEvent('download'), menu.getByRole('link', { name, exact: true }).click()]);
  const failure = await file.failure();
  assert.equal(failure, null, `the ${name} download failed: ${failure}`);
  return { filename: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}
