// End-to-end: a school that left editing off (MESSAGE_EDITING unset: off, as the primary
// specification says) in headless Chromium
// against two tutorchat replicas. Мария's own message offers Reply and Delete but no Edit
// (the page learned the setting from `GET /api/me`); an edit sent by hand is refused with
// 403 `editing_off`; deleting works as ever and reaches Иван on the other replica. Then the
// school's admin allows editing in Moderation › School (on B; a time zone the server does not
// know is refused in words): replica A follows, and Мария's page there, opened again, edits.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, messageAction, send, signIn, waitConnection } from './app/helpers.mjs';

let cluster;
let browser;

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster({ env: { MESSAGE_EDITING: undefined } }); // the default
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('by default (editing off) a message offers no Edit, the API refuses one, and Delete still works', async () => {
  const maria = await openPage(browser, cluster.a.url);
  await signIn(maria, 'maria@demo.school');
  const me = await api(maria, 'GET', '/api/me');
  assert.equal(me.body.message_editing, false);
  const chatId = (await api(maria, 'GET', '/api/chats')).body.chats.find((c) => c.kind === 'direct').id;
  await waitConnection(maria, 'live');
  await maria.getByTestId(`chat-${chatId}`).click();
  const ivan = await openPage(browser, cluster.b.url);
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  await ivan.getByTestId(`chat-${chatId}`).click();

  const text = 'Без правок: проверьте, пожалуйста, задачу 7';
  const id = await send(maria, text);
  await maria.getByTestId(`message-${id}`).hover();
  await maria.getByTestId(`reply-${id}`).waitFor();
  await maria.getByTestId(`delete-${id}`).waitFor();
  assert.equal(await maria.getByTestId(`edit-${id}`).count(), 0, 'no Edit action');

  const refused = await api(maria, 'PUT', `/api/messages/${id}`, { content: 'исправлено' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'editing_off');

  await ivan.locator('.message-list').getByText(text, { exact: true }).waitFor();
  await maria.getByTestId(`message-${id}`).hover();
  await maria.getByTestId(`delete-${id}`).click();
  await maria.getByTestId('confirm-delete').click();
  await ivan.locator('.message-list').getByText(text, { exact: true }).waitFor({ state: 'detached' });
});

test("the school's admin allows editing (Moderation › School, on B): Мария's page on A, opened again, edits", async () => {
  const admin = await openPage(browser, cluster.b.url);
  await signIn(admin, 'admin@demo.school');
  await admin.getByTestId('moderation-button').click();
  const dialog = admin.getByTestId('moderation-dialog');
  await dialog.getByRole('tab', { name: 'School' }).click();
  const form = dialog.getByTestId('school-settings');
  const editing = form.getByRole('combobox', { name: 'Editing sent messages' });
  assert.equal(await editing.inputValue(), 'default');
  assert.equal(await editing.getByRole('option', { name: 'Default (Not allowed)' }).count(), 1);
  const zone = form.getByRole('combobox', { name: 'Time zone (quiet hours, exports, emails)' });
  assert.equal(await zone.getAttribute('placeholder'), 'UTC', "the deployment's default, in grey");
  await editing.selectOption('on');
  await zone.fill('Mars/Olympus_Mons');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('alert').filter({ hasText: 'could not take these settings' }).waitFor();
  await zone.fill('Europe/Moscow');
  const quiet = form.getByRole('textbox', { name: 'Quiet hours for students (e.g. 21:00-08:00, or off)' });
  assert.equal(await quiet.getAttribute('placeholder'), 'off', 'the deployment sets none');
  await quiet.fill('22:00-7:00');
  const families = form.getByRole('textbox', { name: /^Quiet hours for families/ });
  assert.equal(await families.getAttribute('placeholder'), 'students', "unset, the families' follow the students'");
  await families.fill('off');
  const retention = form.getByRole('spinbutton', { name: /^Days a message keeps its text and files/ });
  assert.equal(await retention.getAttribute('placeholder'), 'for ever', 'the deployment keeps everything');
  await retention.fill('400');
  const guardians = form.getByRole('combobox', { name: 'What guardians read of their children’s groups' });
  assert.equal(await guardians.getByRole('option', { name: 'Default (Nothing)' }).count(), 1, 'GUARDIAN_GROUPS unset');
  await guardians.selectOption('own_messages');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  assert.equal(await form.getByRole('button', { name: 'Save' }).isDisabled(), true, 'nothing left to save');

  // Replica A follows the log: Мария's page there, opened again, offers Edit, and the edit saves.
  const maria = await openPage(browser, cluster.a.url);
  await signIn(maria, 'maria@demo.school');
  for (let i = 0; (await api(maria, 'GET', '/api/me')).body.message_editing !== true; i++) {
    assert.ok(i < 50, 'replica A follows the change within 5 s');
    await maria.waitForTimeout(100);
  }
  await maria.reload();
  await maria.locator('nav[aria-label="Chats"]').waitFor();
  const chatId = (await api(maria, 'GET', '/api/chats')).body.chats.find((c) => c.kind === 'direct').id;
  await maria.getByTestId(`chat-${chatId}`).click();
  const id = await send(maria, 'С правками: задача 8');
  await messageAction(maria, 'edit', id);
  const input = maria.getByTestId('edit-input');
  await input.fill('С правками: задача 9');
  await input.press('Enter');
  await maria.getByTestId(`message-${id}`).getByText('С правками: задача 9').waitFor();
  const changes = await api(admin, 'GET', '/api/school/settings');
  assert.deepEqual(changes.body.own, {
    name: null,
    time_zone: 'Europe/Moscow',
    quiet_hours: '22:00-07:00',
    family_quiet_hours: 'off',
    message_editing: true,
    retention_days: 400,
    email_notify: null,
    language: null,
    email_sender: null,
    guardian_groups: 'own_messages',
  });
  assert.equal(changes.body.family_quiet_hours, null, 'families: none');
  assert.equal(await quiet.inputValue(), '22:00-07:00', 'written back as the server keeps it');
});
