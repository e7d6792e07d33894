// End-to-end: a school that left editing off (MESSAGE_EDITING unset: off, as the primary
// specification says) in headless Chromium
// against two tutorchat replicas. Мария's own message offers Reply and Delete but no Edit
// (the page learned the setting from `GET /api/me`); an edit sent by hand is refused with
// 403 `editing_off`; deleting works as ever and reaches Иван on the other replica.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, send, signIn, waitConnection } from './app/helpers.mjs';

let cluster;
let browser;

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster({ env: { MESSAGE_EDITING: undefined } }); // the default
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('by default (editing off) a message offers no Edit, the API refuses one, and Delete still works', async () => {
  const maria = await openPage(browser, cluster.a.url);
  await signIn(maria, 'maria@demo.school');
  const me = await api(maria, 'GET', '/api/me');
  assert.equal(me.body.message_editing, false);
  const chatId = (await api(maria, 'GET', '/api/chats')).body.chats.find((c) => c.kind === 'direct').id;
  await waitConnection(maria, 'live');
  await maria.getByTestId(`chat-${chatId}`).click();
  const ivan = await openPage(browser, cluster.b.url);
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  await ivan.getByTestId(`chat-${chatId}`).click();

  const text = 'Без правок: проверьте, пожалуйста, задачу 7';
  const id = await send(maria, text);
  await maria.getByTestId(`message-${id}`).hover();
  await maria.getByTestId(`reply-${id}`).waitFor();
  await maria.getByTestId(`delete-${id}`).waitFor();
  assert.equal(await maria.getByTestId(`edit-${id}`).count(), 0, 'no Edit action');

  const refused = await api(maria, 'PUT', `/api/messages/${id}`, { content: 'исправлено' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'editing_off');

  await ivan.locator('.message-list').getByText(text, { exact: true }).waitFor();
  await maria.getByTestId(`message-${id}`).hover();
  await maria.getByTestId(`delete-${id}`).click();
  await maria.getByTestId('confirm-delete').click();
  await ivan.locator('.message-list').getByText(text, { exact: true }).waitFor({ state: 'detached' });
});
