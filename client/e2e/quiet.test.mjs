// End-to-end: quiet hours (docs/safeguarding.md) in headless Chromium against two tutorchat
// replicas on one database, both with QUIET_HOURS set to a window around now (from an hour ago
// to two hours on, in UTC: SCHOOL_TIMEZONE=UTC). Иван (teacher, B) writes to Мария: his send
// is held (202), not failed; his conversation shows it with "Will be delivered at" the
// window's end (his browser's clock is UTC), also on a phone in Russian, where it fits the
// screen; Мария (A) sees nothing of it. The admin (B) delivers it early from Moderation → Held:
// Мария sees it arrive live, and Иван's held mark gives way to the message. Families have a
// window of their own (QUIET_HOURS_FAMILIES, ending an hour later): Иван's late reply to Елена
// in their family chat is held until its end, and Елена sees nothing of it.
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, PHONE, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { SAVED, api, screenshot, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: ivan on B (UTC), maria on A, ivanPhone on A (Russian, UTC), admin on B. */
const pages = {};
let chatId; // Мария ↔ Иван

const DEMO_FIRST = 'Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚';
const LATE = 'Мария, я проверил вашу работу — завтра разберём ошибки в задаче 5 🌙';

/** "HH:MM" of `date` in UTC. */
const hhmm = (date) => date.toISOString().slice(11, 16);
const now = Date.now();
const START = hhmm(new Date(now - 60 * 60_000));
const END = hhmm(new Date(now + 2 * 60 * 60_000));
const FAMILIES_END = hhmm(new Date(now + 3 * 60 * 60_000));
const LATE_TO_FAMILY = 'Елена, Мария сегодня отлично поработала — подробности завтра 🌙';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster({
    env: { QUIET_HOURS: `${START}-${END}`, QUIET_HOURS_FAMILIES: `${START}-${FAMILIES_END}`, SCHOOL_TIMEZONE: 'UTC' },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** Opens Мария ↔ Иван's chat from the list and waits for its first message. */
async function openChat(page) {
  await page.getByTestId(`chat-${chatId}`).click();
  await page.getByText(DEMO_FIRST, { exact: true }).waitFor();
}

/** Sends `text` from `page`'s composer and returns the HTTP status the send got. */
async function sendStatus(page, text) {
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/messages') && r.request().method() === 'POST');
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
  return (await answered).status();
}

/** Whether `page` shows `text` as a saved message. */
const savedCount = (page, text) => page.locator(SAVED).filter({ hasText: text }).count();

test(`Иван (B) writes inside quiet hours (${START}-${END} UTC): his message is held, not failed, and says when it will be delivered`, async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url));
  await signIn(maria, 'maria@demo.school');
  const chats = await api(maria, 'GET', '/api/chats');
  chatId = chats.body.chats.find((c) => c.kind === 'direct').id;
  await waitConnection(maria, 'live');
  await openChat(maria);

  const ivan = (pages.ivan = await openPage(browser, cluster.b.url, { ...DESKTOP, locale: 'en-GB', timezoneId: 'UTC' }));
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  await openChat(ivan);
  assert.equal(await sendStatus(ivan, LATE), 202, 'quiet hours hold a teacher’s message to a student');

  const held = ivan.getByTestId('held-messages');
  await held.getByText(LATE, { exact: true }).waitFor();
  const notes = held.locator('[data-testid^="held-note-"]');
  assert.equal(await notes.count(), 1);
  assert.equal((await notes.first().innerText()).trim(), `🌙 Will be delivered at ${END}`);
  // Not a failure: nothing pending, nothing to retry, and not among the chat's messages.
  await ivan.getByTestId('message-pending').waitFor({ state: 'detached' });
  assert.equal(await ivan.getByRole('button', { name: 'Retry' }).count(), 0);
  assert.equal(await savedCount(ivan, LATE), 0);
  await screenshot(ivan, 'quiet-01-held');
});

test('Мария (A) sees nothing of it, in her conversation or her chat’s history', async () => {
  const maria = pages.maria;
  await maria.waitForTimeout(1_500); // a new_message would have arrived by now
  assert.equal(await maria.getByText(LATE).count(), 0);
  const history = await api(maria, 'GET', `/api/chats/${chatId}/messages`);
  assert.equal(history.status, 200);
  assert.ok(!history.body.messages.some((m) => m.content === LATE), 'the held message is not in her history');
  assert.equal((await api(maria, 'GET', `/api/held-messages?chat_id=${chatId}`)).body.messages.length, 0);
});

test('on a phone in Russian (A), Иван’s held message is loaded with the chat and its notice fits the screen', async () => {
  const phone = (pages.ivanPhone = await openPage(browser, cluster.a.url, { ...PHONE, locale: 'ru-RU', timezoneId: 'UTC' }));
  await phone.getByTestId('login-ivan@demo.school').click();
  await phone.getByRole('navigation', { name: 'Чаты' }).waitFor();
  await openChat(phone);
  const note = phone.locator('[data-testid^="held-note-"]');
  await note.waitFor();
  assert.equal((await note.innerText()).trim(), `🌙 Будет доставлено в ${END}`);
  const width = phone.viewportSize().width;
  for (const [what, locator] of [
    ['the held message', phone.getByTestId('held-messages').locator('li')],
    ['its notice', note],
    ['the composer', phone.getByTestId('composer')],
  ]) {
    const box = await locator.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= width + 0.5, `${what} is outside the screen: ${JSON.stringify(box)}`);
  }
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await screenshot(phone, 'quiet-02-phone-ru');
});

test('the admin (B) delivers it now from Moderation → Held: Мария (A) sees it arrive live, and Иван’s held mark goes', async () => {
  const admin = (pages.admin = await openPage(browser, cluster.b.url));
  await signIn(admin, 'admin@demo.school');
  await waitConnection(admin, 'live');
  await admin.getByTestId('moderation-button').click();
  const dialog = admin.getByTestId('moderation-dialog');
  await dialog.getByRole('tab', { name: 'Held' }).click();
  const row = dialog.getByRole('list', { name: 'Held' }).getByRole('listitem').filter({ hasText: LATE });
  await row.waitFor();
  assert.match(await row.innerText(), /Иван Петров wrote in /);
  await screenshot(admin, 'quiet-03-admin-held');
  await row.getByRole('button', { name: 'Deliver now' }).click();
  await dialog.getByText('No message is held.').waitFor();

  await waitForMessage(pages.maria, LATE);
  for (const page of [pages.ivan, pages.ivanPhone]) {
    await waitForMessage(page, LATE);
    await page.getByTestId('held-messages').waitFor({ state: 'detached' });
  }
  assert.equal(await savedCount(pages.ivan, LATE), 1, 'delivered once');
  await screenshot(pages.ivan, 'quiet-04-delivered');
});

test(`Иван’s late reply to Елена in their family chat waits for the families’ own window (to ${FAMILIES_END}); she sees nothing of it`, async () => {
  const ivan = pages.ivan;
  const family = (await api(ivan, 'GET', '/api/chats?kind=family')).body.chats[0];
  assert.equal(family?.participant?.name, 'Елена Иванова');
  await ivan.getByTestId(`chat-${family.id}`).click();
  await ivan.getByTestId('conversation-title').filter({ hasText: 'Елена Иванова' }).waitFor();
  assert.equal(await sendStatus(ivan, LATE_TO_FAMILY), 202, 'quiet hours hold a teacher’s message to a family');
  const held = ivan.getByTestId('held-messages');
  await held.getByText(LATE_TO_FAMILY, { exact: true }).waitFor();
  assert.equal((await held.locator('[data-testid^="held-note-"]').first().innerText()).trim(), `🌙 Will be delivered at ${FAMILIES_END}`);
  await screenshot(ivan, 'quiet-05-family-held');

  const elena = (pages.elena = await openPage(browser, cluster.a.url, PHONE));
  await signIn(elena, 'elena@demo.school');
  const history = await api(elena, 'GET', `/api/chats/${family.id}/messages`);
  assert.equal(history.status, 200);
  assert.ok(!history.body.messages.some((m) => m.content === LATE_TO_FAMILY), 'the held reply is not in her history');
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
