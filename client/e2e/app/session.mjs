// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Signing out,
// and a session that expires.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openPage } from '../harness.mjs';
import { signIn, waitConnection } from './helpers.mjs';
import { browser, cluster, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('signing out returns to the sign-in page, and the session is gone', async () => {
    const { student } = pages;
    await student.getByRole('button', { name: 'Sign out' }).click();
    await student.getByTestId('login-maria@demo.school').waitFor();
    assert.equal(new URL(student.url()).pathname, '/');
    const me = await student.evaluate(async () => (await fetch('/api/me')).status);
    assert.equal(me, 401);
  });

  test('when the session reaches its limit, the stream closes and the app asks to sign in again', async () => {
    // Tokens of 5 s renewed while the app is open, for 8 s at most (SESSION_MAX_AGE_SECS).
    const shortLived = await cluster.addReplica('replica-c', { DEV_TOKEN_TTL_SECS: '5', SESSION_MAX_AGE_SECS: '8' });
    const page = (pages.expiring = await openPage(browser, shortLived.url));
    await signIn(page, 'maria@demo.school');
    await waitConnection(page, 'live');
    await page.getByText('Your session has ended. Please sign in again.').waitFor({ timeout: 30_000 });
    await page.getByTestId('login-maria@demo.school').waitFor();
  });
}
