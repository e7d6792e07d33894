// End-to-end: the sender's own tabs in headless Chromium against two tutorchat replicas. The
// server sends a message's `new_message` to everyone but its sender, whose streams (every tab,
// either replica) get it as `message_sent`: the tab that sent it shows it once, Мария's other
// tab on the other replica adds it, and Иван gets it as ever.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, openTab, startCluster } from './harness.mjs';
import { SAVED, api, send, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';

let cluster;
let browser;

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** How many saved messages of `page` show `text`. */
async function shown(page, text) {
  return page.locator(SAVED).evaluateAll(
    (els, text) => els.filter((el) => el.querySelector('.text')?.textContent === text).length,
    text,
  );
}

test("the sending tab shows its message once and the sender's other tab gets it", async () => {
  const sending = await openPage(browser, cluster.a.url);
  await signIn(sending, 'maria@demo.school');
  await waitConnection(sending, 'live');
  const chats = await api(sending, 'GET', '/api/chats');
  const chatId = chats.body.chats.find((c) => c.kind === 'direct' && c.participant?.name === 'Иван Петров').id;
  const other = await openTab(sending, `${cluster.b.url}/`); // the same cookie, the other replica
  await waitConnection(other, 'live');
  const ivan = await openPage(browser, cluster.b.url);
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  for (const page of [sending, other, ivan]) await page.getByTestId(`chat-${chatId}`).click();

  const text = 'Отправлено из первой вкладки';
  await send(sending, text);
  await waitForMessage(other, text);
  await waitForMessage(ivan, text);
  // Иван answers: once his answer is in the sending tab, everything before it is too.
  const answer = 'Вижу, спасибо';
  await send(ivan, answer);
  await waitForMessage(sending, answer);
  await waitForMessage(other, answer);
  assert.equal(await shown(sending, text), 1, 'the sending tab shows its message once');
  assert.equal(await shown(other, text), 1, 'the other tab shows it once');
  for (const page of [sending, other, ivan]) assert.deepEqual(page.errors, []);
});
