// End-to-end: a guardian (docs: "Safeguarding children") in headless Chromium against two
// tutorchat replicas on one database. The demo links Елена (guardian) to her daughter Мария
// before Мария's first lesson with Иван: Елена (A) reads that chat under Мария's name, with no
// composer, and Иван's message (B) arrives live; her page asks nothing that writes. Иван and
// Мария (in Russian) are told in the chat's header that the student's guardians read it. The
// admin unlinks Елена (her chat goes, live) and links her again from the Moderation dialog's
// Guardians tab. Мария's "Who read my chats" names Елена. On a phone, Елена's page fits the
// screen.
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { PHONE, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, send, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: elena on A, ivan on B, maria (Russian) on A, admin on B, elena's phone on B. */
const pages = {};
/** Requests of Елена's desktop page that would write (none may be made; her own settings aside). */
const writes = [];
let chatId; // Мария ↔ Иван
let mariaId;

const DEMO_FIRST = 'Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚';
const NOTICE_EN = 'The student’s guardians can read this chat';
const NOTICE_RU = 'Родители ученика могут читать этот чат';
const RELINKED = 'Мария, не забудьте линейку на контрольную 📏';
const READ_ONLY_EN = 'You read this chat as a guardian; you cannot write here';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** Every request of `page` but reading ones (GET, HEAD) and signing in, recorded into `into`. */
function recordWrites(page, into) {
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    // Her own settings are hers to write (`/api/me/language`: her emails' language follows the app's).
    if (!['GET', 'HEAD'].includes(request.method()) && pathname !== '/api/dev/login' && !pathname.startsWith('/api/me/')) {
      into.push(`${request.method()} ${pathname}`);
    }
  });
}

// ---- the story ---------------------------------------------------------------------------

test('Елена (guardian, A) reads Мария’s chat under Мария’s name, read-only, and nothing offers to write', async () => {
  const elena = (pages.elena = await openPage(browser, cluster.a.url));
  recordWrites(elena, writes);
  // The demo's sign-in names her role.
  await elena.getByTestId('login-elena@demo.school').filter({ hasText: 'Guardian' }).waitFor();
  await signIn(elena, 'elena@demo.school');
  await waitConnection(elena, 'live');

  const chats = await api(elena, 'GET', '/api/chats');
  assert.equal(chats.status, 200);
  // Мария's one direct chat, and Елена's own chat with Иван (e2e/family.test.mjs).
  const [wards, own] = [chats.body.chats.filter((c) => c.kind !== 'family'), chats.body.chats.filter((c) => c.kind === 'family')];
  assert.equal(wards.length, 1, 'the demo links her to Мария only, who has one direct chat');
  assert.equal(own.length, 1, 'and she has her own chat with Иван');
  const [chat] = wards;
  chatId = chat.id;
  mariaId = chat.ward.id;
  assert.equal(chat.ward.name, 'Мария Иванова');
  assert.equal(chat.participant.name, 'Иван Петров');

  // The list: "Your children's chats", a section headed by Мария's name, Иван's chat under it.
  await elena.getByRole('heading', { name: 'Your children’s chats' }).waitFor();
  const section = elena.getByTestId(`section-ward:${mariaId}`);
  await section.getByRole('button', { name: /Мария Иванова/ }).waitFor();
  const item = section.getByTestId(`chat-${chatId}`);
  await item.filter({ hasText: 'Иван Петров' }).waitFor();
  // No "Who read my chats": she takes part in no chat. No notifications control either: this
  // school has no Web Push (a guardian's is tested in tests/api/guardian_groups.rs).
  assert.equal(await elena.getByRole('button', { name: 'Who read my chats' }).count(), 0);
  assert.equal(await elena.getByRole('button', { name: 'Enable notifications' }).count(), 0);

  // The conversation: Иван's demo messages, whose chat it is, no composer but a line that says why.
  await item.click();
  await elena.getByText(DEMO_FIRST, { exact: true }).waitFor();
  assert.equal(await elena.getByTestId('conversation-title').innerText(), 'Иван Петров');
  assert.match(await elena.getByTestId('ward').innerText(), /Chat of Мария Иванова/);
  assert.equal((await elena.getByTestId('read-only').innerText()).replace(/\s+/g, ' '), `👁 ${READ_ONLY_EN}`);
  assert.equal(await elena.getByRole('textbox', { name: 'Message', exact: true }).count(), 0, 'no composer');
  assert.equal(await elena.getByTestId('guardians-notice').count(), 0, 'the notice is for the chat’s members');
  // Both are named above their messages (Мария too: she is not in the list's people).
  const answer = elena.locator('[data-testid^="message-"]').filter({ hasText: 'Спасибо, Иван Петрович!' });
  await answer.getByText('Мария Иванова', { exact: true }).waitFor();
  // She wrote neither: the teacher's messages are not styled as her own (they were), nor Мария's.
  const first = elena.locator('[data-testid^="message-"]').filter({ hasText: DEMO_FIRST });
  for (const message of [first, answer]) assert.match(await message.getAttribute('class'), /\btheirs\b/);
  assert.equal(await elena.locator('.message.mine').count(), 0, 'no message is hers');
  // No message offers her a Reply or an Edit (a Report it does: the school's moderators see it).
  await first.hover();
  await first.getByRole('button', { name: 'Report' }).waitFor();
  for (const name of ['Reply', 'Edit message']) {
    assert.equal(await first.getByRole('button', { name }).count(), 0, `no ${name}`);
  }
  await screenshot(elena, 'guardian-01-reading');
});

test('Иван (B) is told that Мария’s guardians read the chat; his message reaches Елена (A) live, and her page marks nothing read', async () => {
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url));
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  await ivan.getByTestId(`chat-${chatId}`).click();
  await ivan.getByText(DEMO_FIRST, { exact: true }).waitFor();
  assert.equal(await ivan.getByTestId('guardians-notice').innerText(), `👪 ${NOTICE_EN}`);
  await screenshot(ivan, 'guardian-02-teacher-notice');

  const text = 'Мария, завтра контрольная по дробям: повторите §12 ✍️';
  await send(ivan, text);
  const elena = pages.elena;
  await waitForMessage(elena, text);
  // Her list row follows, with no unread badge: a guardian keeps no read marker.
  await elena.getByTestId(`chat-${chatId}`).filter({ hasText: text }).waitFor();
  assert.equal(await elena.getByTestId(`unread-${chatId}`).count(), 0);
  // A read marker would be on its way within a second (600 ms); none is sent, nor anything else.
  await elena.waitForTimeout(1_500);
  assert.deepEqual(writes, [], 'Елена’s page asked nothing that writes');
});

test('Мария (student, A, in Russian) reads the same notice in Russian, and «Кто читал мои чаты» names Елена', async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url, { viewport: { width: 1280, height: 800 }, locale: 'ru-RU' }));
  await maria.getByTestId('login-maria@demo.school').click();
  await maria.getByRole('navigation', { name: 'Чаты' }).waitFor();
  await maria.getByTestId(`chat-${chatId}`).click();
  await maria.getByText(DEMO_FIRST, { exact: true }).waitFor();
  assert.equal(await maria.getByTestId('guardians-notice').innerText(), `👪 ${NOTICE_RU}`);
  // The adults who read her chats from outside: her guardian, and how (in words, never a key).
  await maria.getByRole('button', { name: 'Кто читал мои чаты' }).click();
  const readers = maria.getByTestId('readers-list');
  await readers.getByText('Елена Иванова', { exact: true }).first().waitFor();
  const said = await readers.innerText();
  assert.match(said, /Родитель/);
  assert.doesNotMatch(said, /readers\./, 'every way of reading is said in words');
  await screenshot(maria, 'guardian-03-readers-ru');
  await maria.getByRole('button', { name: 'Закрыть' }).click();
});

test('the admin (B) unlinks Елена in Moderation → Guardians: her chat goes, live; linking her again brings it back', async () => {
  const admin = (pages.admin = await openPage(browser, cluster.b.url));
  await signIn(admin, 'admin@demo.school');
  await waitConnection(admin, 'live');
  await admin.getByTestId('moderation-button').click();
  const dialog = admin.getByTestId('moderation-dialog');
  await dialog.getByRole('tab', { name: 'Guardians' }).click();
  await dialog.getByText('Елена Иванова reads the chats of Мария Иванова').waitFor();
  await screenshot(admin, 'guardian-04-admin-links');

  await dialog.getByRole('button', { name: 'Unlink Елена Иванова from Мария Иванова' }).click();
  await dialog.getByText('No guardian is linked to a student.').waitFor();
  // Елена's open chat closes and leaves her list; her stream (ended by the server) comes back.
  const elena = pages.elena;
  await elena.getByTestId(`chat-${chatId}`).waitFor({ state: 'detached' });
  await elena.getByTestId('read-only').waitFor({ state: 'detached' });
  // Only her own chat with Иван stays, about no child now.
  await elena.getByTestId('section-family').waitFor();
  assert.equal(await elena.locator('[data-testid^="section-ward:"]').count(), 0);
  await waitConnection(elena, 'live');
  assert.equal((await api(elena, 'GET', `/api/chats/${chatId}/messages`)).status, 403);
  // Иван's header says so once his list is fetched again (a reload here).
  await pages.ivan.reload();
  await pages.ivan.getByTestId(`chat-${chatId}`).click();
  await pages.ivan.getByTestId('conversation-title').waitFor();
  assert.equal(await pages.ivan.getByTestId('guardians-notice').count(), 0);

  // Linked again from the form: the chat is back in Елена's list, live.
  await dialog.getByTestId('guardian-select').selectOption({ label: 'Елена Иванова · elena@demo.school' });
  await dialog.getByTestId('student-select').selectOption({ label: 'Мария Иванова · maria@demo.school' });
  await dialog.getByRole('button', { name: 'Link', exact: true }).click();
  await dialog.getByText('Елена Иванова reads the chats of Мария Иванова').waitFor();
  await elena.getByTestId(`section-ward:${mariaId}`).getByTestId(`chat-${chatId}`).waitFor();
  // She reads from the new link on: Иван's next message reaches her live.
  await pages.ivan.getByTestId(`chat-${chatId}`).click();
  await send(pages.ivan, RELINKED);
  await elena.getByTestId(`chat-${chatId}`).filter({ hasText: RELINKED }).waitFor();
  assert.deepEqual(writes, [], 'Елена’s page still asked nothing that writes');
});

test('on a phone (B): Елена’s list and the read-only conversation fit the screen', async () => {
  const phone = (pages.phone = await openPage(browser, cluster.b.url, PHONE));
  await signIn(phone, 'elena@demo.school');
  await waitConnection(phone, 'live');
  const width = phone.viewportSize().width;
  const fits = async (locator, what) => {
    const box = await locator.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= width + 0.5, `${what} is outside the screen: ${JSON.stringify(box)}`);
  };
  await fits(phone.getByRole('button', { name: 'Sign out', exact: true }), 'Sign out');
  await fits(phone.getByTestId(`section-ward:${mariaId}`), 'Мария’s section');
  await screenshot(phone, 'guardian-05-phone-list');

  await phone.getByTestId(`chat-${chatId}`).click();
  await phone.getByTestId('read-only').waitFor();
  await waitForMessage(phone, RELINKED);
  await fits(phone.getByTestId('read-only'), 'the read-only line');
  await fits(phone.getByTestId('conversation-title'), 'the title');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await screenshot(phone, 'guardian-06-phone-conversation');
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
