// End-to-end: accessibility of everyone else's views, in headless Chromium against two
// tutorchat replicas with quiet hours on now (so that messages are held). axe-core's WCAG 2.1
// A and AA rules (e2e/a11y/axe.mjs) at a desktop's and a phone's size (and dark, on a
// desktop), in English and in Russian, on: the sign-in page; an inquiry link's page and the
// guest's chat it opens; an admin's inbox, a conversation read-only with the hide dialog (and who read it), and
// Moderation (Reports with a flag and a report, the flagged words, People with the suspension's,
// the erasure's and the deactivation's dialogs, Guardians, Closure requests, Held); a guardian's inbox, her
// child's conversation and the closure request's dialog; a teacher's conversation with a held
// message, and the guest's inquiry chat (Block visitor); a suspended student's banner. Each
// view also has one `main` landmark and one level-one heading. A sweep fails once, listing
// every violation and the views it is in.

import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { auditor } from './a11y/axe.mjs';
import { SWEEPS, call, demoChatId, escape, messageAction, openChat, signedIn } from './a11y/pages.mjs';
import { screenshot } from './app/helpers.mjs';

const INQUIRY = '/inquiry/demoEGEmatematika2026askIvanPetrov';
const hhmm = (date) => date.toISOString().slice(11, 16);

let cluster;
let browser;
const seeded = {};

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const now = Date.now();
  cluster = await startCluster({
    env: {
      QUIET_HOURS: `${hhmm(new Date(now - 3600_000))}-${hhmm(new Date(now + 2 * 3600_000))}`,
      SCHOOL_TIMEZONE: 'UTC',
      // A guest chat is opened in each sweep, from one address.
      RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN: '100',
      RATE_INQUIRY_OPENS_PER_MIN: '100',
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('seeding: a report, a flag, a held message, a guardian’s closure request, declined, and Alex suspended', async () => {
  const [first] = SWEEPS;
  const admin = await signedIn(browser, cluster.b.url, first, 'admin@demo.school');
  const maria = await signedIn(browser, cluster.a.url, first, 'maria@demo.school');
  const ivan = await signedIn(browser, cluster.a.url, first, 'ivan@demo.school');
  const elena = await signedIn(browser, cluster.b.url, first, 'elena@demo.school');
  const chatId = (seeded.chatId = await demoChatId(maria));
  seeded.mariaId = (await call(maria, 200, 'GET', '/api/me')).user.id;
  const { messages } = await call(maria, 200, 'GET', `/api/chats/${chatId}/messages`);
  seeded.firstMessage = messages[0].id;
  await call(maria, 201, 'POST', `/api/messages/${messages[0].id}/report`, { reason: 'Слишком много заданий' });
  await call(admin, 201, 'POST', '/api/admin/flag-terms', { term: 'встретиться' });
  await call(maria, 201, 'POST', '/api/messages', { chat_id: chatId, content: 'Может, встретимся после уроков?' });
  seeded.held = (await call(ivan, 202, 'POST', '/api/messages', { chat_id: chatId, content: 'Завтра разберём ошибки 🌙' })).id;
  const request = await call(elena, 201, 'POST', `/api/chats/${chatId}/closure-requests`, { reason: 'Занятия закончились' });
  // Declined, so that she may ask again (the dialog) and the admin's list shows it with its note.
  await call(admin, 204, 'POST', `/api/admin/closure-requests/${request.id}/decline`, { note: 'Курс ещё идёт' });
  const alex = await signedIn(browser, cluster.a.url, first, 'alex@demo.school');
  const alexId = (await call(alex, 200, 'GET', '/api/me')).user.id;
  // By the admin: inside quiet hours a teacher makes no group with students (409 quiet_hours).
  const group = { kind: 'group', title: 'Кружок', participant_ids: [alexId] };
  seeded.alexChat = (await call(admin, 201, 'POST', '/api/chats', group)).id;
  await call(alex, 201, 'POST', '/api/messages', { chat_id: seeded.alexChat, content: 'Здравствуйте!' });
  await call(admin, 204, 'POST', `/api/admin/users/${alexId}/suspend`, { reason: 'Проверка доступности' });
  for (const page of [admin, maria, ivan, elena, alex]) await page.context().close();
});

for (const sweep of SWEEPS) {
  test(`every view of the signed-out, guests, admins, guardians passes axe-core (WCAG 2.1 AA): ${sweep.name}`, async () => {
    const { audit, assertClean } = auditor();
    const { chatId, mariaId, held, firstMessage } = seeded;
    const { tag } = sweep;

    // Signed out, and a visitor through an inquiry link, who becomes a guest.
    const visitor = await openPage(browser, cluster.a.url, sweep.options);
    await visitor.getByTestId('login-maria@demo.school').waitFor();
    await audit(visitor, 'sign-in');
    await visitor.goto(INQUIRY);
    await visitor.getByTestId('guest-name').fill('Анна');
    await visitor.getByTestId('guest-question').fill('Сколько длится курс?');
    await audit(visitor, 'inquiry link');
    await visitor.getByTestId('start-inquiry').click();
    await visitor.getByTestId('composer').waitFor();
    await visitor.locator('.message-list .text').first().waitFor();
    await audit(visitor, 'guest’s chat');
    await screenshot(visitor, `a11y-${tag}-guest`);
    await visitor.context().close();

    // An admin: the inbox, a conversation read-only, Moderation's every tab.
    const admin = await signedIn(browser, cluster.b.url, sweep, 'admin@demo.school');
    await admin.getByTestId(`chat-${chatId}`).waitFor();
    await audit(admin, 'admin: inbox');
    await openChat(admin, chatId);
    await admin.getByTestId('read-only').waitFor();
    await audit(admin, 'admin: conversation');
    await messageAction(admin, 'hide', firstMessage);
    await admin.getByTestId('hide-dialog').waitFor();
    await audit(admin, 'admin: hide dialog');
    await escape(admin, admin.getByTestId('hide-dialog'));
    await admin.getByTestId('chat-readers-button').click();
    await admin.getByTestId('chat-readers-list').waitFor();
    await audit(admin, 'admin: who read the chat');
    await escape(admin, admin.getByTestId('chat-readers-dialog'));
    await admin.getByTestId('moderation-button').click();
    const dialog = admin.getByTestId('moderation-dialog');
    await dialog.getByTestId('flag-list').waitFor();
    await dialog.getByTestId('report-list').waitFor();
    await audit(admin, 'admin: Moderation, Reports');
    await screenshot(admin, `a11y-${tag}-moderation`);
    await dialog.locator('[data-testid="flag-terms"] summary').click();
    await dialog.getByTestId('flag-term-input').waitFor();
    await audit(admin, 'admin: Moderation, flagged words');
    await dialog.getByTestId('moderation-tab-people').click();
    await dialog.getByTestId('people-search').fill('Мария');
    await dialog.getByTestId(`person-row-${mariaId}`).waitFor();
    await audit(admin, 'admin: Moderation, People');
    await dialog.getByTestId(`suspend-${mariaId}`).click();
    await admin.getByTestId('suspend-dialog').waitFor();
    await audit(admin, 'admin: suspend dialog');
    await escape(admin, admin.getByTestId('suspend-dialog'));
    await dialog.getByTestId(`erase-${mariaId}`).click();
    await admin.getByTestId('erase-dialog').waitFor();
    await audit(admin, 'admin: erase dialog');
    await escape(admin, admin.getByTestId('erase-dialog'));
    await dialog.getByTestId(`deactivate-${mariaId}`).click();
    const leaving = admin.getByRole('dialog', { name: /^Мария Иванова (left the school|покинул\(а\) школу)\?$/ });
    await leaving.waitFor();
    await audit(admin, 'admin: asked whether someone left the school');
    await escape(admin, leaving);
    await dialog.getByTestId('moderation-tab-guardians').click();
    await dialog.locator('[data-testid^="guardian-link-"]').first().waitFor();
    await audit(admin, 'admin: Moderation, Guardians');
    await dialog.getByTestId('moderation-tab-closures').click();
    await dialog.getByTestId('admin-closure-request').first().waitFor();
    await audit(admin, 'admin: Moderation, Closure requests');
    await dialog.getByTestId('moderation-tab-held').click();
    await dialog.getByTestId(`held-row-${held}`).waitFor();
    await audit(admin, 'admin: Moderation, Held');
    await dialog.getByTestId('moderation-tab-school').click();
    await dialog.getByTestId('school-settings').waitFor();
    await audit(admin, 'admin: Moderation, School');
    await admin.context().close();

    // A guardian: her child's chats, one read, the closure request's dialog.
    const elena = await signedIn(browser, cluster.b.url, sweep, 'elena@demo.school');
    await elena.getByTestId(`chat-${chatId}`).waitFor();
    await audit(elena, 'guardian: inbox');
    await openChat(elena, chatId);
    await elena.getByTestId('closure-requests').waitFor();
    await audit(elena, 'guardian: conversation');
    await screenshot(elena, `a11y-${tag}-guardian`);
    await elena.getByTestId('ask-closure').click();
    await elena.getByTestId('closure-dialog').waitFor();
    await audit(elena, 'guardian: closure request dialog');
    await escape(elena, elena.getByTestId('closure-dialog'));
    await elena.context().close();

    // A teacher's conversation with a message held by quiet hours.
    const ivan = await signedIn(browser, cluster.a.url, sweep, 'ivan@demo.school');
    await openChat(ivan, chatId);
    await ivan.getByTestId(`held-${held}`).waitFor();
    await audit(ivan, 'teacher: a held message');
    const { chats } = await call(ivan, 200, 'GET', '/api/chats');
    await openChat(ivan, chats.find((c) => c.kind === 'inquiry').id);
    await ivan.getByTestId('block-visitor').waitFor();
    await audit(ivan, 'teacher: an inquiry chat');
    await ivan.context().close();

    // A suspended student: the banner over a composer that is locked.
    const alex = await signedIn(browser, cluster.a.url, sweep, 'alex@demo.school');
    await openChat(alex, seeded.alexChat);
    await alex.getByTestId('suspended-banner').waitFor();
    await audit(alex, 'student: suspended');
    await alex.context().close();
    assertClean();
  });
}
