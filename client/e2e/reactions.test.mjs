// End-to-end: reactions, in headless Chromium against two tutorchat replicas on one database.
// Иван (B, Russian) writes to Мария; Мария (A, English) reacts to it with the keyboard alone:
// from the composer back to the message's "Add a reaction" action, Enter opens the eight, Enter
// chooses 👍; Иван sees the count appear live through the other replica, and whose it is.
// Escape closes the choice where it opened. Мария tabs on to her 👍 under the message (it is
// pressed: hers) and presses it again: it goes, from Иван's screen live. An admin reading the chat sees reactions, never a button
// to add one. The tests run in order and share the pages.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, signIn, waitConnection } from './app/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: maria on A (English), ivan on B (Russian), admin on A. */
const pages = {};
let chatId; // Мария ↔ Иван
let messageId; // Иван's, which Мария reacts to

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** The test id of the element that has the keyboard's focus on `page`. */
const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

test('Иван (B) writes; both have the conversation open', async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(maria, 'maria@demo.school');
  const chats = await api(maria, 'GET', '/api/chats');
  chatId = chats.body.chats.find((c) => c.kind === 'direct' && c.participant.name.startsWith('Иван')).id;
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url, { ...DESKTOP, locale: 'ru-RU' }));
  await ivan.getByTestId('login-ivan@demo.school').click();
  await ivan.getByRole('navigation', { name: 'Чаты' }).waitFor();
  for (const page of [maria, ivan]) {
    await waitConnection(page, 'live');
    await page.getByTestId(`chat-${chatId}`).click();
  }
  const sent = await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: 'Кто готов к контрольной?' });
  assert.equal(sent.status, 201);
  messageId = sent.body.id;
  for (const page of [maria, ivan]) await page.getByTestId(`message-${messageId}`).waitFor();
  // No reactions yet: only Мария's button to add one.
  assert.equal(await maria.getByTestId(`reaction-${messageId}-👍`).count(), 0);
  await maria.getByTestId(`add-reaction-${messageId}`).waitFor({ state: 'attached' });
});

test('Мария (A) reacts with the keyboard alone, and Иван (B) sees it live', async () => {
  const { maria, ivan } = pages;
  // From the composer, back through the page to the newest message's "Add a reaction".
  await maria.getByTestId('composer').focus();
  for (let i = 0; i < 12 && (await focused(maria)) !== `add-reaction-${messageId}`; i += 1) {
    await maria.keyboard.press('Shift+Tab');
  }
  const add = maria.getByTestId(`add-reaction-${messageId}`);
  assert.equal(await focused(maria), `add-reaction-${messageId}`, 'the add-reaction button is reached by Tab');
  assert.equal(await add.getAttribute('aria-label'), 'Add a reaction');
  assert.equal(await add.getAttribute('aria-expanded'), 'false');
  // A visible focus ring on it.
  const outline = await add.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused button shows its focus');

  // Escape closes the choice and gives the focus back.
  await maria.keyboard.press('Enter');
  const choices = maria.getByTestId(`reaction-choices-${messageId}`);
  await choices.waitFor();
  assert.equal(await choices.getByRole('button').count(), 8);
  assert.equal(await focused(maria), `choose-${messageId}-👍`, 'the choice opens on its first reaction');
  await maria.keyboard.press('Escape');
  await choices.waitFor({ state: 'detached' });
  assert.equal(await focused(maria), `add-reaction-${messageId}`);

  // Enter opens it again; Tab moves along; Shift+Tab back; Enter chooses 👍.
  await maria.keyboard.press('Enter');
  await choices.waitFor();
  await maria.keyboard.press('Tab');
  assert.equal(await focused(maria), `choose-${messageId}-❤️`);
  await maria.keyboard.press('Shift+Tab');
  assert.equal(await maria.getByTestId(`choose-${messageId}-👍`).getAttribute('aria-label'), 'Thumbs up');
  await maria.keyboard.press('Enter');
  await choices.waitFor({ state: 'detached' });

  const mine = maria.getByTestId(`reaction-${messageId}-👍`);
  await mine.waitFor();
  assert.equal(await mine.getAttribute('aria-pressed'), 'true', 'hers: pressed');
  assert.equal((await mine.innerText()).replace(/\s+/g, ''), '👍1');
  // Иван, on the other replica, live: the count, and who it is, in Russian.
  const his = ivan.getByTestId(`reaction-${messageId}-👍`);
  await his.waitFor();
  assert.equal((await his.innerText()).replace(/\s+/g, ''), '👍1');
  assert.equal(await his.getAttribute('aria-pressed'), 'false', 'not his');
  assert.match(await his.getAttribute('aria-label'), /^Нравится 👍 1: Мария/);
  await screenshot(maria, 'reactions-01-reacted');
  await screenshot(ivan, 'reactions-02-seen-live');
});

test('Мария presses her 👍 again, with the keyboard: it goes, from Иван’s screen too', async () => {
  const { maria, ivan } = pages;
  const mine = maria.getByTestId(`reaction-${messageId}-👍`);
  // The focus went back to the add-reaction button; the reactions follow the message's actions.
  assert.equal(await focused(maria), `add-reaction-${messageId}`);
  for (let i = 0; i < 6 && (await focused(maria)) !== `reaction-${messageId}-👍`; i += 1) {
    await maria.keyboard.press('Tab');
  }
  assert.equal(await focused(maria), `reaction-${messageId}-👍`);
  await maria.keyboard.press('Enter');
  await mine.waitFor({ state: 'detached' });
  await ivan.getByTestId(`reaction-${messageId}-👍`).waitFor({ state: 'detached' });
  const history = await api(ivan, 'GET', `/api/chats/${chatId}/messages`);
  assert.deepEqual(history.body.messages.find((m) => m.id === messageId).reactions, []);
});

test('an admin reading the chat sees the reactions, and no button to react', async () => {
  const { ivan } = pages;
  const reacted = await api(ivan, 'PUT', `/api/messages/${messageId}/reactions/${encodeURIComponent('✅')}`);
  assert.equal(reacted.status, 201);
  const admin = (pages.admin = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(admin, 'admin@demo.school');
  await waitConnection(admin, 'live');
  await admin.getByTestId(`chat-${chatId}`).click();
  const shown = admin.getByTestId(`reaction-${messageId}-✅`);
  await shown.waitFor();
  assert.equal(await shown.evaluate((el) => el.tagName), 'SPAN', 'shown, not a button');
  assert.match(await shown.getAttribute('aria-label'), /^Done ✅ 1: Иван/);
  assert.equal(await admin.getByTestId(`add-reaction-${messageId}`).count(), 0);
});
