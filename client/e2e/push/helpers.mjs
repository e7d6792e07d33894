// Page helpers of the push tests (push.test.mjs): screenshots, API calls from a page, signing
// in, waiting for the stream and the notifications control, and waiting for a value.

import assert from 'node:assert/strict';
import { join } from 'node:path';

import { RESULTS_DIR } from '../harness.mjs';

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

export async function signIn(page, email) {
  await page.getByRole('button', { name: new RegExp(email.replace(/[.]/g, '\\.')) }).click();
  await page.getByRole('navigation', { name: /^(Chats|Чаты)$/ }).waitFor();
}

export async function waitLive(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid="connection"]')?.dataset.state === 'live');
}

/** The notifications control's state (`data-state`: checking, off, on, denied…), once it is `state`. */
export async function waitControl(page, state) {
  await page.locator(`[data-testid="notifications"][data-state="${state}"]`).waitFor();
}

export async function expectEventually(read, expected, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = await read();
    if (last === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(last, expected);
}
