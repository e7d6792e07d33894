// End-to-end: what a phone downloads for a signed-in student's first screen, against the
// built client (dist/, with its precompressed variants) served by two replicas without Web
// Push. Chromium asks for brotli, so every script and style comes back as `br`, a hashed one
// kept for a year and the page revalidated; the page has a description for search engines;
// the staff's dialogs are not among the first screen's scripts; and nothing errs in the
// signed-in view's console (it used to log a 404 from /api/push/vapid-public-key when push
// was off).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PHONE, launchBrowser, startCluster } from './harness.mjs';
import { waitConnection } from './app/helpers.mjs';

let cluster;
let browser;

before(async () => {
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('a student’s first screen on a phone: compressed, cached by hash, no console error', async () => {
  const context = await browser.newContext({ ...PHONE, locale: 'en-US', baseURL: cluster.a.url });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  const responses = [];
  page.on('response', (response) => responses.push(response));

  await page.goto('/');
  assert.match(
    (await page.locator('meta[name="description"]').getAttribute('content')) ?? '',
    /chat/i,
    'the page describes itself to search engines',
  );
  // The sign-in page logs the 401 of its `GET /api/me` (who is signed in: nobody), whenever that
  // answer comes; from here on the student's view must log nothing.
  await page.getByTestId('login-maria@demo.school').waitFor();
  const askedWho = () => consoleErrors.some((e) => e.includes('/api/me'));
  for (const deadline = Date.now() + 10_000; !askedWho(); ) {
    assert.ok(Date.now() < deadline, `the sign-in page did not log its 401 from /api/me: ${consoleErrors}`);
    await page.waitForTimeout(50);
  }
  consoleErrors.length = 0;
  const signedInAt = responses.length;
  await page.getByTestId('login-maria@demo.school').click();
  await page.locator('nav.chat-list').waitFor();
  await page.locator('[data-testid^="chat-"]').first().click();
  await page.locator('.conversation .message-list').waitFor();
  await waitConnection(page, 'live');
  // The notifications control's probe reads the config, then (push being off) asks nothing more.
  const probed = () => responses.slice(signedInAt).some((r) => new URL(r.url()).pathname === '/api/auth/config');
  for (const deadline = Date.now() + 10_000; !probed(); ) {
    assert.ok(Date.now() < deadline, 'the signed-in app did not read /api/auth/config');
    await page.waitForTimeout(50);
  }
  await page.waitForTimeout(500); // what would follow it (the key, then its 404) has had its time

  const statics = responses.filter((r) => /\/assets\/.+\.(js|css)$/.test(new URL(r.url()).pathname));
  assert.ok(statics.some((r) => r.url().endsWith('.js')), 'scripts were loaded');
  for (const response of statics) {
    const headers = await response.allHeaders();
    assert.equal(headers['content-encoding'], 'br', `${response.url()} comes precompressed`);
    assert.equal(headers['cache-control'], 'public, max-age=31536000, immutable', response.url());
  }
  const document = responses.find((r) => r.request().resourceType() === 'document');
  assert.equal((await document.allHeaders())['cache-control'], 'no-cache');
  const loaded = statics.map((r) => new URL(r.url()).pathname);
  for (const staffOnly of ['ModerationDialog', 'LessonsDialog', 'InquiryLinksDialog', 'NewGroupDialog']) {
    assert.ok(!loaded.some((path) => path.includes(staffOnly)), `${staffOnly} is not loaded: ${loaded.join(', ')}`);
  }
  assert.ok(!responses.some((r) => r.url().includes('/api/push/vapid-public-key')), 'push is off: no key asked for');
  assert.deepEqual(consoleErrors, [], 'no error in the signed-in view’s console');
  await context.close();
});
