// End-to-end: blocking (docs/safeguarding.md#blocking) in headless Chromium against two
// tutorchat replicas on one database. Елена (the demo's guardian of Мария, on a phone, A) asks
// the school to close Мария's chat with Иван; the admin (B) closes it from Moderation's
// Closure requests tab; Иван (B), who has the chat open, sees it turn read-only, live, and Елена
// sees the outcome. Then Иван creates an inquiry link, a visitor (A) asks a question, Иван
// blocks the visitor: his conversation says so, the visitor's visit ends, and opening the link
// again shows the visitor (in Russian, on a phone) a clear refusal.
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, PHONE, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';

let cluster;
let browser;
const pages = {};
let chatId; // Мария ↔ Иван
let inquiryPath;

const DEMO_FIRST = 'Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚';
const REASON = 'Учитель пишет Марии поздно вечером о личном';
const QUESTION = 'Здравствуйте! Есть места на пробном уроке?';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** The page is no wider than its screen (nothing to scroll sideways). */
async function fitsWidth(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `the page is ${scroll}px wide on a ${width}px screen`);
}

test('Елена (guardian, on a phone, A) asks the school to close Мария’s chat with Иван', async () => {
  const elena = (pages.elena = await openPage(browser, cluster.a.url, PHONE));
  await signIn(elena, 'elena@demo.school');
  await waitConnection(elena, 'live');
  const chats = await api(elena, 'GET', '/api/chats');
  // Мария's chat with Иван (her own family chat with him is listed too).
  chatId = chats.body.chats.find((c) => c.kind === 'direct').id;

  // Иван (B) has the chat open: he will see it close, live.
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url, DESKTOP));
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  await ivan.getByTestId(`chat-${chatId}`).click();
  await ivan.getByText(DEMO_FIRST, { exact: true }).waitFor();
  assert.equal(await ivan.getByTestId('ask-closure').count(), 0, 'a teacher asks nothing of the kind');

  await elena.getByTestId(`chat-${chatId}`).click();
  await elena.getByText(DEMO_FIRST, { exact: true }).waitFor();
  await elena.getByTestId('ask-closure').click();
  const dialog = elena.getByTestId('closure-dialog');
  await dialog.getByText('The teacher and your child do not see your request', { exact: false }).waitFor();
  await elena.getByTestId('closure-reason').fill(REASON);
  await fitsWidth(elena);
  await screenshot(elena, 'blocking-01-guardian-asks');
  await elena.getByTestId('send-closure-request').click();
  await dialog.waitFor({ state: 'detached' });
  const sent = elena.getByTestId('closure-request');
  await sent.filter({ hasText: 'waiting for the school’s decision' }).waitFor();
  assert.equal(await sent.getAttribute('data-outcome'), 'open');
  assert.equal(await elena.getByTestId('ask-closure').count(), 0, 'one open request at a time');
  await fitsWidth(elena);
});

test('the admin (B) closes it in Moderation → Closure requests; Иван (B) sees the chat read-only at once, Елена the outcome', async () => {
  const admin = (pages.admin = await openPage(browser, cluster.b.url, DESKTOP));
  await signIn(admin, 'admin@demo.school');
  await waitConnection(admin, 'live');
  // The Moderation button counts the request waiting for a decision (it counted reports only).
  await admin.getByRole('button', { name: /^Moderation.*\b1 closure request\b/ }).waitFor();
  assert.equal(await admin.getByTestId('open-reports').getAttribute('data-count'), '1');
  await admin.getByTestId('moderation-button').click();
  const dialog = admin.getByTestId('moderation-dialog');
  await dialog.getByRole('tab', { name: 'Closure requests' }).click();
  const request = dialog.getByTestId('admin-closure-request').filter({ hasText: REASON });
  await request.filter({ hasText: 'Елена Иванова asks to close the chat of Мария Иванова with Иван Петров' }).waitFor();
  await screenshot(admin, 'blocking-02-admin-requests');
  await request.getByTestId('closure-close').click();
  await admin.getByTestId('confirm-delete').click();
  await dialog.getByTestId('admin-closure-request').filter({ hasText: 'Closed' }).waitFor();
  assert.equal(await request.getAttribute('data-outcome'), 'closed');
  await admin.getByTestId('close-moderation').click();
  await admin.getByTestId('open-reports').waitFor({ state: 'detached' }); // decided: nothing waits

  // Иван: the composer goes, and the line says the school closed it; his words are refused.
  const ivan = pages.ivan;
  const closed = ivan.getByTestId('chat-closed');
  await closed.filter({ hasText: 'The school closed this conversation' }).waitFor();
  assert.equal(await closed.getAttribute('data-reason'), 'guardian_request');
  assert.equal(await ivan.getByTestId('composer').count(), 0, 'read-only');
  assert.equal(await ivan.getByText(REASON).count(), 0, 'the teacher never sees the guardian’s words');
  const refused = await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: 'ещё слово' });
  assert.deepEqual([refused.status, refused.body.code], [409, 'chat_closed']);
  await screenshot(ivan, 'blocking-03-teacher-read-only');

  const elena = pages.elena;
  await elena.getByTestId('closure-request').filter({ hasText: 'the school closed the chat' }).waitFor();
  await elena.getByTestId('chat-closed').waitFor();
  await fitsWidth(elena);
});

test('a visitor (A) asks through Иван’s inquiry link, and Иван (B) blocks them', async () => {
  const ivan = pages.ivan;
  const link = await api(ivan, 'POST', '/api/inquiry-links', { title: 'Пробный урок' });
  assert.equal(link.status, 201);
  inquiryPath = `/inquiry/${link.body.token}`;

  // The visitor reads Russian, on a phone.
  const visitor = (pages.visitor = await openPage(browser, cluster.a.url, { ...PHONE, locale: 'ru-RU' }, inquiryPath));
  await visitor.getByTestId('guest-name').fill('Незнакомец');
  await visitor.getByTestId('guest-question').fill(QUESTION);
  await visitor.getByTestId('start-inquiry').click();
  await visitor.getByTestId('guest-workspace').waitFor();
  await waitConnection(visitor, 'live');
  const own = await api(visitor, 'GET', '/api/chats');
  const inquiryId = own.body.chats[0].id;

  const row = ivan.getByTestId(`chat-${inquiryId}`);
  await row.filter({ hasText: QUESTION }).waitFor();
  await row.click();
  await waitForMessage(ivan, QUESTION);
  await ivan.getByTestId('block-visitor').click();
  await ivan.getByText('This link will not open a new conversation for this visitor', { exact: false }).waitFor();
  await ivan.getByTestId('confirm-delete').click();
  const closed = ivan.getByTestId('chat-closed');
  await closed.filter({ hasText: 'The visitor was blocked' }).waitFor();
  assert.equal(await closed.getAttribute('data-reason'), 'blocked');
  assert.equal(await ivan.getByTestId('block-visitor').count(), 0, 'blocked already');
  await screenshot(ivan, 'blocking-04-visitor-blocked');

  // The visitor's visit is over.
  await visitor.getByTestId('guest-ended').waitFor();
});

test('the blocked visitor opens the link again and is refused, in their language', async () => {
  const visitor = pages.visitor;
  await visitor.goto(inquiryPath);
  // Their browser still holds the ended visit's cookie: the page says the visit is over, and
  // offers to start again.
  await visitor.getByTestId('start-again').click();
  await visitor.getByTestId('guest-name').fill('Незнакомец');
  await visitor.getByTestId('guest-question').fill('А теперь?');
  await visitor.getByTestId('start-inquiry').click();
  const refusal = visitor.getByTestId('inquiry-error');
  await refusal.filter({ hasText: 'Учитель, которому принадлежит эта ссылка, заблокировал вас' }).waitFor();
  await fitsWidth(visitor);
  await screenshot(visitor, 'blocking-05-visitor-refused');
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
