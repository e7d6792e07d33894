// End-to-end: the keyboard alone, and what a screen reader hears, in headless Chromium against
// two tutorchat replicas. Мария (A, desktop, English) uses only `page.keyboard` (Tab, arrows,
// Enter, Escape; never the mouse): she signs in, moves through her chat list with the arrow
// keys, opens her chat with Иван, sends a message, replies to his and reacts to it; Иван (B,
// Russian), in another browser, sees each of them arrive live. Her page's polite live region
// says "New message from Иван Петров: …" when his message comes, never her own; his says it in
// Russian. On a narrow screen an admin (no composer) lands on the conversation's title and,
// back, on the chat's row. The tests run in order and share the pages.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { call, demoChatId, signedIn } from './a11y/pages.mjs';
import { screenshot, waitForMessage } from './app/helpers.mjs';

let cluster;
let browser;
/** maria on A (desktop, English, keyboard only), ivan on B (desktop, Russian). */
const pages = {};
let chatId; // Мария ↔ Иван
let groupId; // a group of theirs, above it in her list
let question; // Иван's message she answers and reacts to

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

/** Presses `key` until the focus is on `testId` (at most `limit` times); fails saying where it stopped. */
async function pressUntil(page, key, testId, limit = 40) {
  const matches = typeof testId === 'function' ? testId : (id) => id === testId;
  for (let i = 0; i < limit && !matches(await focused(page)); i += 1) await page.keyboard.press(key);
  const at = await focused(page);
  assert.ok(matches(at), `${key} never reached ${testId}; the focus is on ${at}`);
  return at;
}

/** What `page`'s polite live region for new messages says now. */
const announced = (page) => page.getByTestId('announcer').innerText();

test('Иван (B, Russian) has the chat open; a group of theirs is above it in Мария’s list', async () => {
  const ivan = (pages.ivan = await signedIn(browser, cluster.b.url, { options: { ...DESKTOP, locale: 'ru-RU' } }, 'ivan@demo.school'));
  chatId = await demoChatId(ivan);
  const mariaId = (await call(ivan, 200, 'GET', `/api/chats/${chatId}`)).participants.find((p) => p.role === 'student').id;
  groupId = (await call(ivan, 201, 'POST', '/api/chats', { kind: 'group', title: 'Геометрия', participant_ids: [mariaId] })).id;
  question = (await call(ivan, 201, 'POST', '/api/messages', { chat_id: chatId, content: 'Мария, вы решили задачу 7?' })).id;
  await call(ivan, 201, 'POST', '/api/messages', { chat_id: groupId, content: 'Домашнее задание в группе' });
  await ivan.getByTestId(`chat-${chatId}`).click();
  await ivan.getByTestId(`message-${question}`).waitFor();
});

test('Мария signs in, moves through her list with the arrow keys and opens the chat with Enter', async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'en-GB' }));
  await maria.getByTestId('login-maria@demo.school').waitFor();
  await pressUntil(maria, 'Tab', 'login-maria@demo.school');
  await maria.keyboard.press('Enter');
  await maria.getByTestId(`chat-${chatId}`).waitFor();
  // Tab reaches the list's first chat (the group: its newest message is the latest).
  const first = await pressUntil(maria, 'Tab', (id) => id?.startsWith('chat-') === true);
  assert.equal(first, `chat-${groupId}`);
  await maria.keyboard.press('ArrowDown');
  assert.equal(await focused(maria), `chat-${chatId}`, 'ArrowDown moves to the next chat');
  await maria.keyboard.press('ArrowUp');
  assert.equal(await focused(maria), `chat-${groupId}`, 'ArrowUp moves back');
  await maria.keyboard.press('End');
  assert.equal(await focused(maria), `chat-${chatId}`, 'End: the last chat');
  await maria.keyboard.press('Enter');
  await maria.getByTestId(`message-${question}`).waitFor();
  assert.equal(await maria.getByTestId(`chat-${chatId}`).getAttribute('aria-current'), 'true');
  assert.equal(await focused(maria), 'composer', 'the composer is ready to type');
});

test('she sends a message with Enter: Иван sees it, and nobody is told of her own message on her page', async () => {
  const { maria, ivan } = pages;
  const text = 'Да, ответ 42';
  await maria.keyboard.type(text);
  await maria.keyboard.press('Enter');
  await waitForMessage(maria, text);
  await waitForMessage(ivan, text);
  assert.equal(await announced(maria), '', 'her own message is not announced to her');
  assert.equal(await announced(ivan), `Новое сообщение от Мария Иванова: ${text}`);
});

test('she replies to Иван’s message from the keyboard: Shift+Tab to its Reply, Enter, type, Enter', async () => {
  const { maria, ivan } = pages;
  await pressUntil(maria, 'Shift+Tab', `reply-${question}`);
  const outline = await maria.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused action shows its focus');
  await maria.keyboard.press('Enter');
  await maria.getByTestId('reply-preview').waitFor();
  assert.equal(await focused(maria), 'composer', 'Reply puts the cursor in the composer');
  const text = 'Проверьте, пожалуйста, моё решение';
  await maria.keyboard.type(text);
  await maria.keyboard.press('Enter');
  const [mine] = await waitForMessage(maria, text);
  await maria.getByTestId('reply-preview').waitFor({ state: 'detached' });
  const [seen] = await waitForMessage(ivan, text);
  assert.equal(seen, mine);
  await ivan.getByTestId(`quote-${seen}`).waitFor();
  await screenshot(ivan, 'keyboard-01-reply-seen');
});

test('she reacts to it from the keyboard: Shift+Tab to “Add a reaction”, Enter, Enter chooses 👍; Escape closes the choice', async () => {
  const { maria, ivan } = pages;
  await pressUntil(maria, 'Shift+Tab', `add-reaction-${question}`);
  await maria.keyboard.press('Enter');
  await maria.getByTestId(`reaction-choices-${question}`).waitFor();
  await maria.keyboard.press('Escape');
  await maria.getByTestId(`reaction-choices-${question}`).waitFor({ state: 'detached' });
  assert.equal(await focused(maria), `add-reaction-${question}`);
  await maria.keyboard.press('Enter');
  await maria.getByTestId(`reaction-choices-${question}`).waitFor();
  await maria.waitForFunction((id) => document.activeElement?.dataset.testid === id, `choose-${question}-👍`);
  await maria.keyboard.press('Enter');
  await maria.getByTestId(`reaction-${question}-👍`).waitFor();
  const his = ivan.getByTestId(`reaction-${question}-👍`);
  await his.waitFor();
  assert.match(await his.getAttribute('aria-label'), /Мария Иванова/);
  await screenshot(maria, 'keyboard-02-reacted');
});

test('Иван’s next message is announced politely on her page, in English, and only his', async () => {
  const { maria, ivan } = pages;
  const region = maria.getByTestId('announcer');
  assert.equal(await region.getAttribute('aria-live'), 'polite');
  const text = 'Отлично, всё верно!';
  await call(ivan, 201, 'POST', '/api/messages', { chat_id: chatId, content: text });
  await waitForMessage(maria, text);
  await maria.waitForFunction(
    (expected) => document.querySelector('[data-testid="announcer"]')?.textContent === expected,
    `New message from Иван Петров: ${text}`,
  );
  assert.equal(await announced(ivan), 'Новое сообщение от Мария Иванова: Проверьте, пожалуйста, моё решение');
});

test('on a narrow screen the focus follows the switch: to the conversation’s title (an admin has no composer), back to the chat’s row', async () => {
  // A desktop zoomed in, or a narrow window: the list and the conversation take turns.
  const admin = await openPage(browser, cluster.b.url, { viewport: { width: 375, height: 740 }, locale: 'en-GB' });
  await admin.getByTestId('login-admin@demo.school').waitFor();
  await pressUntil(admin, 'Tab', 'login-admin@demo.school');
  await admin.keyboard.press('Enter');
  await admin.getByTestId(`chat-${chatId}`).waitFor();
  await pressUntil(admin, 'Tab', (id) => id?.startsWith('chat-') === true);
  await pressUntil(admin, 'ArrowDown', `chat-${chatId}`, 5);
  await admin.keyboard.press('Enter');
  await admin.getByTestId('read-only').waitFor();
  assert.equal(await focused(admin), 'conversation-title', 'the keyboard lands on the conversation, not lost with the list');
  const onBack = () => admin.evaluate(() => document.activeElement?.classList.contains('back-button') === true);
  for (let i = 0; i < 5 && !(await onBack()); i += 1) await admin.keyboard.press('Shift+Tab');
  assert.ok(await onBack(), 'Shift+Tab reaches the back button');
  await admin.keyboard.press('Enter');
  await admin.locator('nav.chat-list').waitFor();
  assert.equal(await focused(admin), `chat-${chatId}`, 'back on the row of the chat just left');
});
