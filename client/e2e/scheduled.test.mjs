// End-to-end: scheduled send (docs/api.md, "Scheduled send") in headless Chromium against two
// tutorchat replicas on one database. Иван (B, his browser in UTC) writes to Мария and, from
// the keyboard, schedules it for a minute on with the composer's "Send later": his
// conversation shows it "Scheduled for …", nobody else sees anything of it; he edits its text
// and brings it forward to a few seconds from now; at that time Мария (A) sees it arrive live,
// once, and his scheduled mark gives way to the message. The real clock: no test clock here.
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { SAVED, api, screenshot, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: ivan on B (UTC), maria on A. */
const pages = {};
let chatId; // Мария ↔ Иван

const DEMO_FIRST = 'Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚';
const FIRST = 'Мария, не забудьте тетрадь на завтра';
const EDITED = 'Мария, не забудьте тетрадь и линейку на завтра ✏️';

/** A `datetime-local` value in UTC (the page's time zone), to the second. */
const localValue = (date) => date.toISOString().slice(0, 19);

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
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

const savedCount = (page, text) => page.locator(SAVED).filter({ hasText: text }).count();

test('Иван (B) schedules a message from the keyboard: 202, shown as scheduled, not sent', async () => {
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
  await ivan.getByTestId('composer').fill(FIRST);
  // The keyboard alone: Tab to "Send later", Enter opens the field (focused), Enter schedules.
  const toggle = ivan.getByTestId('schedule-toggle');
  await toggle.focus();
  await ivan.keyboard.press('Enter');
  const field = ivan.getByTestId('schedule-at');
  await field.waitFor();
  assert.equal(await field.evaluate((el) => el === document.activeElement), true, 'the field has the focus');
  await field.fill(localValue(new Date(Date.now() + 60_000)));
  const answered = ivan.waitForResponse((r) => r.url().endsWith('/api/messages') && r.request().method() === 'POST');
  await field.press('Enter');
  assert.equal((await answered).status(), 202, 'scheduled, not sent');

  const list = ivan.getByTestId('scheduled-messages');
  await list.getByText(FIRST, { exact: true }).waitFor();
  const note = list.locator('[data-testid^="scheduled-note-"]');
  assert.match((await note.innerText()).trim(), /^🕒 Scheduled for \d\d:\d\d$/);
  assert.equal(await ivan.getByTestId('composer').inputValue(), '', 'the composer is cleared');
  assert.equal(await savedCount(ivan, FIRST), 0, 'not among the chat’s messages');
  await screenshot(ivan, 'scheduled-01-scheduled');
});

test('Мария (A) sees nothing of it, in her conversation, her history or her scheduled messages', async () => {
  const maria = pages.maria;
  assert.equal(await maria.getByText(FIRST).count(), 0);
  const history = await api(maria, 'GET', `/api/chats/${chatId}/messages`);
  assert.ok(!history.body.messages.some((m) => m.content === FIRST), 'not in her history');
  assert.equal((await api(maria, 'GET', `/api/scheduled-messages?chat_id=${chatId}`)).body.messages.length, 0);
});

test('Иван edits its text and brings it forward; at its time Мария (A) sees it arrive once, and his mark goes', async () => {
  const ivan = pages.ivan;
  const item = ivan.getByTestId('scheduled-messages').getByRole('listitem');
  await item.getByRole('button', { name: 'Edit' }).click();
  await item.getByRole('textbox', { name: 'Text of the scheduled message' }).fill(EDITED);
  const due = new Date(Date.now() + 5_000);
  await item.getByLabel('Send at').fill(localValue(due));
  const saved = ivan.waitForResponse((r) => r.url().includes('/api/scheduled-messages/') && r.request().method() === 'PATCH');
  await item.getByRole('button', { name: 'Save' }).click();
  assert.equal((await saved).status(), 200);
  await item.getByText(EDITED, { exact: true }).waitFor();
  assert.equal(await pages.maria.getByText(EDITED).count(), 0, 'still nobody else’s');

  await waitForMessage(pages.maria, EDITED);
  assert.ok(Date.now() >= due.getTime() - 1_000, 'not before its time');
  await waitForMessage(ivan, EDITED);
  await ivan.getByTestId('scheduled-messages').waitFor({ state: 'detached' });
  await pages.maria.waitForTimeout(1_500); // a second copy would have arrived by now
  assert.equal(await savedCount(pages.maria, EDITED), 1, 'sent once');
  assert.equal(await pages.maria.getByText(FIRST, { exact: true }).count(), 0, 'as edited');
  await screenshot(ivan, 'scheduled-02-sent');
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
