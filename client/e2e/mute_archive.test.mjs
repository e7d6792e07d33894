// End-to-end: archive and mute, per person, in headless Chromium against two tutorchat
// replicas on one database. Мария (A, desktop, English) mutes her chat with Иван from the
// chat list with the keyboard: the 🔕 mark shows there and on her phone (B, Russian), live
// through the other replica. She archives it: it leaves the inbox on both, and the Archived
// view lists it; Иван (B) writes, and it comes back to her inbox with the message. Nobody else
// sees her settings: Иван's list shows neither. The tests run in order and share the pages.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, PHONE, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, signIn, waitConnection } from './app/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: maria on A (desktop, English), mariaPhone on B (Russian), ivan on B. */
const pages = {};
let chatId; // Мария ↔ Иван
let unreadBefore; // Мария's in it, from the demo

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('Мария (A) mutes her chat with Иван from the list, with the keyboard: the mark shows on both her screens', async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(maria, 'maria@demo.school');
  const chats = await api(maria, 'GET', '/api/chats');
  const chat = chats.body.chats.find((c) => c.kind === 'direct' && c.participant.name.startsWith('Иван'));
  [chatId, unreadBefore] = [chat.id, chat.unread_count];
  await waitConnection(maria, 'live');
  const phone = (pages.mariaPhone = await openPage(browser, cluster.b.url, { ...PHONE, locale: 'ru-RU' }));
  await phone.getByTestId('login-maria@demo.school').click();
  await phone.getByRole('navigation', { name: 'Чаты' }).waitFor();
  await waitConnection(phone, 'live');

  const actions = maria.getByTestId(`actions-${chatId}`);
  assert.equal(await actions.getAttribute('aria-label'), 'Chat actions');
  await actions.focus();
  await maria.keyboard.press('Enter');
  assert.equal(await actions.getAttribute('aria-expanded'), 'true');
  const mute = maria.getByTestId(`mute-${chatId}`);
  assert.equal((await mute.innerText()).trim(), '🔕 Mute');
  await maria.keyboard.press('Tab'); // the menu follows its button
  assert.equal(await mute.evaluate((el) => el === document.activeElement), true, 'Mute is the next stop');
  await maria.keyboard.press('Enter');
  await maria.getByTestId(`muted-${chatId}`).waitFor();
  assert.equal(await maria.getByTestId(`muted-${chatId}`).getAttribute('title'), 'Muted: no notifications');
  // Her phone, on the other replica, hears of it live.
  await phone.getByTestId(`muted-${chatId}`).waitFor();
  assert.equal(await phone.getByTestId(`muted-${chatId}`).getAttribute('title'), 'Без звука: уведомлений нет');
  const mine = (await api(maria, 'GET', '/api/chats')).body.chats.find((c) => c.id === chatId);
  assert.equal(mine.muted, true);
  await screenshot(maria, 'mute-01-muted');
});

test('on her phone (B, Russian) the row and its actions fit the screen', async () => {
  const phone = pages.mariaPhone;
  await phone.getByTestId(`actions-${chatId}`).click();
  assert.equal((await phone.getByTestId(`mute-${chatId}`).innerText()).trim(), '🔔 Включить уведомления');
  const width = phone.viewportSize().width;
  for (const [what, locator] of [
    ['the chat', phone.getByTestId(`chat-${chatId}`)],
    ['its actions', phone.getByTestId(`actions-${chatId}`)],
    ['archive', phone.getByTestId(`archive-${chatId}`)],
  ]) {
    const box = await locator.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= width + 0.5, `${what} is outside the screen: ${JSON.stringify(box)}`);
  }
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await screenshot(phone, 'mute-02-phone-ru');
  await phone.keyboard.press('Escape');
  await phone.getByTestId(`archive-${chatId}`).waitFor({ state: 'detached' });
});

test('she archives it: it leaves her inbox on both screens, and the Archived view lists it', async () => {
  const { maria, mariaPhone: phone } = pages;
  await maria.getByTestId(`actions-${chatId}`).click();
  await maria.getByTestId(`archive-${chatId}`).click();
  await maria.getByTestId(`chat-${chatId}`).waitFor({ state: 'detached' });
  await phone.getByTestId(`chat-${chatId}`).waitFor({ state: 'detached' });

  const view = maria.getByTestId('archived-view');
  assert.equal((await view.innerText()).trim(), '🗄 Archived');
  await view.click();
  assert.equal(await view.getAttribute('aria-pressed'), 'true');
  const archived = maria.getByTestId('archived-chats');
  await archived.getByTestId(`chat-${chatId}`).waitFor();
  assert.equal(await archived.getByTestId(`muted-${chatId}`).count(), 1, 'still muted there');
  await screenshot(maria, 'mute-03-archived');
  await view.click(); // back to the inbox
  assert.equal(await maria.getByTestId(`chat-${chatId}`).count(), 0);

  // Only hers: Иван's list shows the chat, neither muted nor archived.
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url));
  await signIn(ivan, 'ivan@demo.school');
  await ivan.getByTestId(`chat-${chatId}`).waitFor();
  assert.equal(await ivan.getByTestId(`muted-${chatId}`).count(), 0);
});

test('Иван (B) writes: the chat comes back to her inbox with his message, on both screens', async () => {
  const { maria, mariaPhone: phone, ivan } = pages;
  const text = 'Мария, не забудьте тетрадь к завтрашнему уроку ✏️';
  const sent = await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: text });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  for (const page of [maria, phone]) {
    const row = page.getByTestId(`chat-${chatId}`);
    await row.waitFor();
    await row.getByText(text).waitFor();
    await page.getByTestId(`unread-${chatId}`).waitFor();
  }
  const mine = (await api(maria, 'GET', '/api/chats')).body.chats.find((c) => c.id === chatId);
  assert.deepEqual([mine.archived, mine.muted, mine.unread_count], [false, true, unreadBefore + 1], 'unread still counts');
  await maria.getByTestId('archived-view').click();
  await maria.getByTestId('archived-empty').waitFor();
  assert.equal((await maria.getByTestId('archived-empty').innerText()).startsWith('Nothing archived'), true);
  await screenshot(maria, 'mute-04-back');
});
