// End-to-end: mentions, in headless Chromium against two tutorchat replicas on one database.
// Иван (A, Russian) writes in a group with Мария and types "@Ма": the composer offers her name
// (a listbox the textarea points at with aria-activedescendant); Escape closes it, a new "@"
// opens it again, Enter puts "@Мария Иванова " in, Enter sends. Мария (B, English) sees the
// message live with her name marked as a mention of her (a `mark`), and the message marked too;
// Иван sees it as a plain mention. The tests run in order and share the pages.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, myId, screenshot, signIn, waitConnection } from './app/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: ivan on A (Russian), maria on B (English). */
const pages = {};
let groupId;
let mariaId;

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('Иван (A) makes a group with Мария (B); both open it', async () => {
  const ivan = (pages.ivan = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'ru-RU' }));
  await ivan.getByTestId('login-ivan@demo.school').click();
  await ivan.getByRole('navigation', { name: 'Чаты' }).waitFor();
  const maria = (pages.maria = await openPage(browser, cluster.b.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(maria, 'maria@demo.school');
  mariaId = await myId(maria);
  for (const page of [ivan, maria]) await waitConnection(page, 'live');
  const created = await api(ivan, 'POST', '/api/chats', { kind: 'group', title: '9Б алгебра', participant_ids: [mariaId] });
  assert.equal(created.status, 201);
  groupId = created.body.id;
  for (const page of [ivan, maria]) {
    await page.getByTestId(`chat-${groupId}`).click();
    await page.getByTestId('composer').waitFor();
  }
});

test('Иван types "@Ма", picks Мария with the keyboard and sends', async () => {
  const { ivan } = pages;
  const composer = ivan.getByTestId('composer');
  await composer.focus();
  // "@" alone offers every member; Escape closes the list and keeps the text.
  await ivan.keyboard.type('Вопрос к @');
  const list = ivan.getByTestId('mention-list');
  await list.waitFor();
  assert.equal(await list.getAttribute('role'), 'listbox');
  await ivan.keyboard.press('Escape');
  await list.waitFor({ state: 'detached' });
  assert.equal(await composer.inputValue(), 'Вопрос к @');
  await ivan.keyboard.press('Backspace');

  // A new "@" and the start of her name: offered, pointed at by the textarea.
  await ivan.keyboard.type('@Ма');
  await list.waitFor();
  const option = ivan.getByTestId(`mention-option-${mariaId}`);
  assert.equal(await option.getAttribute('role'), 'option');
  assert.equal(await option.getAttribute('aria-selected'), 'true');
  assert.equal(await option.innerText(), 'Мария Иванова');
  assert.equal(await composer.getAttribute('aria-activedescendant'), await option.getAttribute('id'));
  assert.equal(await composer.getAttribute('aria-controls'), await list.getAttribute('id'));
  assert.equal(await list.getAttribute('aria-label'), 'Упомянуть участника');
  await screenshot(ivan, 'mentions-01-completion');

  // Enter puts her name in (and sends nothing); the list closes.
  await ivan.keyboard.press('Enter');
  await list.waitFor({ state: 'detached' });
  assert.equal(await composer.inputValue(), 'Вопрос к @Мария Иванова ');
  assert.equal(await composer.getAttribute('aria-activedescendant'), null);
  await ivan.keyboard.type('зайди после урока');
  await ivan.keyboard.press('Enter');
  await ivan.getByTestId('message-pending').waitFor({ state: 'detached' });
  const mention = ivan.getByTestId(`mention-${mariaId}`);
  await mention.waitFor();
  assert.equal(await mention.innerText(), '@Мария Иванова');
});

test('Мария (B) sees the mention of her highlighted, live on the other replica', async () => {
  const { maria } = pages;
  const mark = maria.getByTestId('mention-me');
  await mark.waitFor();
  assert.equal(await mark.evaluate((el) => el.tagName), 'MARK');
  assert.equal(await mark.innerText(), '@Мария Иванова');
  const message = maria.locator('li.message.mentions-me');
  await message.waitFor();
  assert.match(await message.innerText(), /Вопрос к @Мария Иванова зайди после урока/);
  // The server resolved it: the message names her by id.
  const history = await api(maria, 'GET', `/api/chats/${groupId}/messages`);
  const sent = history.body.messages.find((m) => m.content.startsWith('Вопрос к'));
  assert.deepEqual(sent.mentions, [{ id: mariaId, name: 'Мария Иванова' }]);
  await screenshot(maria, 'mentions-02-highlighted');
});
