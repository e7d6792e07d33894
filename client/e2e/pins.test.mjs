// End-to-end: pins, in headless Chromium against two tutorchat replicas on one database. Иван
// (A, desktop, English) opens his chat with Мария and pins one of its messages with the
// keyboard alone (Tab to the message's Pin action, Enter): the bar at the top of the
// conversation shows its first line, and Мария's (B, Russian) shows it live through the other
// replica; Enter on the bar's line brings the message into view. Иван unpins it (the message's
// Unpin action): the bar goes on both. A pinned message Мария deletes leaves the bar too. The
// tests run in order and share the pages.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, signIn, waitConnection } from './app/helpers.mjs';

let cluster;
let browser;
/** ivan on A (desktop, English), maria on B (Russian). */
const pages = {};
let chatId; // Мария ↔ Иван
let messageId; // the message pinned
const TEXT = 'Контрольная в пятницу: §12–14\nПринесите калькуляторы';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('Иван (A) pins a message with the keyboard: it shows at the top, and on Мария’s screen (B) live', async () => {
  const ivan = (pages.ivan = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(ivan, 'ivan@demo.school');
  const chats = await api(ivan, 'GET', '/api/chats');
  chatId = chats.body.chats.find((c) => c.kind === 'direct' && c.participant.name.startsWith('Мария')).id;
  const sent = await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: TEXT });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  messageId = sent.body.id;
  await waitConnection(ivan, 'live');

  const maria = (pages.maria = await openPage(browser, cluster.b.url, { ...DESKTOP, locale: 'ru-RU' }));
  await maria.getByTestId('login-maria@demo.school').click();
  await maria.getByRole('navigation', { name: 'Чаты' }).waitFor();
  await waitConnection(maria, 'live');
  await maria.getByTestId(`chat-${chatId}`).click();
  await maria.getByTestId(`message-${messageId}`).waitFor();
  assert.equal(await maria.getByTestId('pinned-bar').count(), 0, 'nothing pinned yet');

  await ivan.getByTestId(`chat-${chatId}`).click();
  await ivan.getByTestId(`message-${messageId}`).waitFor();
  // Keyboard only: from the message's first action, Tab until its Pin action has the focus.
  const pin = ivan.getByTestId(`pin-${messageId}`);
  assert.equal(await pin.getAttribute('aria-label'), 'Pin message');
  await ivan.getByTestId(`reply-${messageId}`).focus();
  for (let i = 0; i < 5 && !(await pin.evaluate((el) => el === document.activeElement)); i++) {
    await ivan.keyboard.press('Tab');
  }
  assert.equal(await pin.evaluate((el) => el === document.activeElement), true, 'Pin is reached with Tab');
  const outline = await pin.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'the focus is visible');
  await ivan.keyboard.press('Enter');

  const line = ivan.getByTestId(`pinned-jump-${messageId}`);
  await line.waitFor();
  assert.equal((await line.innerText()).trim(), 'Контрольная в пятницу: §12–14', 'the first line');
  assert.equal(await ivan.getByRole('navigation', { name: 'Pinned messages' }).count(), 1);
  await ivan.getByTestId(`unpin-${messageId}`).waitFor(); // the action now unpins
  // Мария, on the other replica, sees it at the top without reloading.
  const hers = maria.getByTestId(`pinned-jump-${messageId}`);
  await hers.waitFor();
  assert.equal(await maria.getByRole('navigation', { name: 'Закреплённые сообщения' }).count(), 1);
  assert.equal(await hers.getAttribute('aria-label'), 'К закреплённому сообщению: Контрольная в пятницу: §12–14');
  await screenshot(ivan, 'pins-01-pinned');
  await screenshot(maria, 'pins-02-pinned-other-replica');

  // Enter on the bar's line brings the message into view, marked.
  await hers.focus();
  await maria.keyboard.press('Enter');
  await maria.getByTestId(`message-${messageId}`).waitFor();
  assert.equal(await maria.getByTestId(`message-${messageId}`).isVisible(), true);
});

test('Иван unpins it: the bar goes, on both replicas', async () => {
  const { ivan, maria } = pages;
  const unpin = ivan.getByTestId(`unpin-${messageId}`);
  await unpin.focus();
  await ivan.keyboard.press('Enter');
  await ivan.getByTestId('pinned-bar').waitFor({ state: 'detached' });
  await maria.getByTestId('pinned-bar').waitFor({ state: 'detached' });
  const listed = await api(maria, 'GET', `/api/chats/${chatId}/pins`);
  assert.deepEqual([listed.status, listed.body.pins], [200, []]);
});

test('a pinned message its author deletes leaves the bar on both screens', async () => {
  const { ivan, maria } = pages;
  const mine = await api(maria, 'POST', '/api/messages', { chat_id: chatId, content: 'Вопрос по §13' });
  assert.equal(mine.status, 201, JSON.stringify(mine.body));
  const pinned = await api(ivan, 'PUT', `/api/chats/${chatId}/pins/${mine.body.id}`);
  assert.equal(pinned.status, 204);
  await ivan.getByTestId(`pinned-jump-${mine.body.id}`).waitFor();
  await maria.getByTestId(`pinned-jump-${mine.body.id}`).waitFor();
  const deleted = await api(maria, 'DELETE', `/api/messages/${mine.body.id}`);
  assert.equal(deleted.status, 200);
  await ivan.getByTestId('pinned-bar').waitFor({ state: 'detached' });
  await maria.getByTestId('pinned-bar').waitFor({ state: 'detached' });
});
