// End-to-end: the composer in headless Chromium against two tutorchat replicas. Мария opens
// her chat with Иван while its history is slow to come (held back here for 1.5 s) and presses
// Enter at once: the message is not dropped but sent as soon as the conversation is ready.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';

let cluster;
let browser;

const QUICK = 'Иван, я отправила это сразу, как открыла чат ⚡';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('Enter pressed while the history still loads sends the message once it is ready', async () => {
  const maria = await openPage(browser, cluster.a.url);
  await signIn(maria, 'maria@demo.school');
  await waitConnection(maria, 'live');
  const chats = await api(maria, 'GET', '/api/chats');
  const chatId = chats.body.chats.find((c) => c.kind === 'direct' && c.participant?.name === 'Иван Петров').id;

  // The history answers only after 1.5 s; the send's POST is recorded with its time.
  let historyReleased = null;
  await maria.route(new RegExp(`/api/chats/${chatId}/messages`), async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    historyReleased = Date.now();
    await route.continue();
  });
  const posts = [];
  maria.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/messages') posts.push(Date.now());
  });

  await maria.getByTestId(`chat-${chatId}`).click();
  const composer = maria.getByTestId('composer');
  await composer.fill(QUICK);
  await composer.press('Enter');
  assert.equal(historyReleased, null, 'Enter was pressed while the history was still held back');

  await waitForMessage(maria, QUICK);
  assert.equal(posts.length, 1, 'sent once');
  assert.ok(historyReleased !== null && posts[0] >= historyReleased, 'sent after the conversation was ready');
  assert.equal(await composer.inputValue(), '', 'the composer is empty again');
  await maria.unrouteAll({ behavior: 'ignoreErrors' });
});
