// End-to-end: a family chat (docs: "Family chats") in headless Chromium against two tutorchat
// replicas on one database. The demo's lesson opened Елена's own chat with Иван, her daughter
// Мария's teacher. Елена, on a phone (A), finds it under "Your chats with teachers", about
// Мария, and writes; Иван (desktop, B) gets it live and answers, and Елена gets the answer live;
// she reports it, and the admin (B) sees her report, reads both and has no composer; Мария does
// not see the chat. Then a second family: Сергей, Alex's father, whom the admin links to Alex
// and who never opens the app, gets his own chat with Иван when Иван completes Alex's lesson.
// Иван announces to families: Елена finds the announcement "From the school" on her phone and
// reads it, Иван sees it "Seen by 1 of 2" and who has not, and Сергей gets it by email (the
// school's mail server, tests/smtp, reads it back). Last, Иван blocks in their chat: it closes
// for both, live, and the admin sees it closed.
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { PHONE, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, messageAction, screenshot, send, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';
import { startMailServer } from './mail.mjs';
import { openModeration } from './moderation/helpers.mjs';

let cluster;
let browser;
let mail;
/** Pages by who is signed in: elena (phone) on A, ivan on B, admin on B. */
const pages = {};
let familyId;

const DEMO_ANSWER = 'Добрый вечер, Елена! Хорошо: на прошлой неделе решила все задачи сама.';
const ASKED = 'Спасибо! Что ей повторить к контрольной? 🙏';
const ANSWERED = 'Дроби, §12: задачи 1–5 ✍️';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  // The school emails families at once (a second or two without the app open), with the text, and
  // each may choose otherwise.
  mail = await startMailServer();
  cluster = await startCluster({
    env: {
      SMTP_URL: mail.url,
      SMTP_FROM: 'Школа <chat@school.test>',
      PUBLIC_URL: 'http://127.0.0.1/',
      NOTIFY_EMAIL: 'guardian=instant',
      NOTIFY_EMAIL_AFTER_SECS: '2',
      NOTIFY_GRACE_SECS: '1',
      PUSH_PREVIEW: 'full',
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
  await mail?.stop();
});

/** One value `sql` selects, as psql prints it. */
function psql(sql) {
  const run = spawnSync('psql', [cluster.a.databaseUrl(), '-q', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${sql}: ${run.stderr}`);
  return run.stdout.trim();
}

test('Елена (guardian, phone, A) finds her chat with Иван about Мария, and writes in it', async () => {
  const elena = (pages.elena = await openPage(browser, cluster.a.url, PHONE));
  await signIn(elena, 'elena@demo.school');
  await waitConnection(elena, 'live');
  const chats = await api(elena, 'GET', '/api/chats');
  const family = chats.body.chats.find((c) => c.kind === 'family');
  assert.ok(family, JSON.stringify(chats.body));
  familyId = family.id;
  assert.deepEqual([family.participant.name, family.children], ['Иван Петров', ['Мария Иванова']]);

  const section = elena.getByTestId('section-family');
  await section.getByText('Your chats with teachers').waitFor();
  const item = section.getByTestId(`chat-${familyId}`);
  assert.match(await elena.getByTestId(`children-${familyId}`).innerText(), /about Мария Иванова/);
  await item.click();
  await waitForMessage(elena, DEMO_ANSWER);
  assert.equal(await elena.getByTestId('conversation-title').innerText(), 'Иван Петров');
  assert.match(await elena.getByTestId('children').innerText(), /about Мария Иванова/);
  assert.equal(await elena.getByTestId('read-only').count(), 0, 'her own chat: she writes here');
  await send(elena, ASKED);
  // Here she writes as any member: files, and her own message's edit and deletion.
  await elena.getByTestId('attach').waitFor();
  const mine = elena.locator('[data-testid^="message-"]').filter({ hasText: ASKED });
  await mine.click(); // a phone shows a message's actions on a tap
  for (const name of ['Edit message', 'Delete message']) await mine.getByRole('button', { name }).waitFor();
  await screenshot(elena, 'family-01-guardian-phone');
});

test('Иван (B) gets it live in his chat with Елена and answers; Елена (A) gets the answer live', async () => {
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url));
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  const item = ivan.getByTestId(`chat-${familyId}`);
  await item.filter({ hasText: 'Елена Иванова' }).waitFor();
  await item.click();
  await waitForMessage(ivan, ASKED);
  assert.match(await ivan.getByTestId('children').innerText(), /about Мария Иванова/);
  await send(ivan, ANSWERED);
  await waitForMessage(pages.elena, ANSWERED);
  await screenshot(ivan, 'family-02-teacher');
});

test('Елена (A) reports the answer; the admin (B) sees her report live, reads the chat and has no composer; Мария does not see it', async () => {
  const admin = (pages.admin = await openPage(browser, cluster.b.url));
  await signIn(admin, 'admin@demo.school');
  await waitConnection(admin, 'live');
  const elena = pages.elena;
  const answer = elena.locator('[data-testid^="message-"]').filter({ hasText: ANSWERED });
  await answer.click(); // a phone shows a message's actions on a tap
  await answer.getByRole('button', { name: 'Report' }).click();
  const dialog = elena.getByRole('dialog', { name: 'Report this message' });
  await dialog.getByRole('textbox', { name: 'Reason' }).fill('Слишком коротко');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.waitFor({ state: 'detached' });
  await elena.getByRole('status').filter({ hasText: 'Reported — a moderator will look at it' }).waitFor();
  await admin.getByRole('button', { name: /^Moderation.*\b1 open report\b/ }).waitFor();
  const moderation = await openModeration(admin);
  const row = moderation.getByRole('list', { name: 'Reports' }).getByRole('listitem').filter({ hasText: ANSWERED });
  assert.match(await row.innerText(), /Reported by Елена Иванова/);
  await admin.keyboard.press('Escape');

  await admin.getByTestId(`chat-${familyId}`).click();
  await waitForMessage(admin, ASKED);
  await waitForMessage(admin, ANSWERED);
  await admin.getByTestId('read-only').waitFor();
  assert.equal(await admin.getByTestId('composer').count(), 0);
  const refused = await api(admin, 'POST', '/api/messages', { chat_id: familyId, content: 'администрация' });
  assert.deepEqual([refused.status, refused.body.code], [403, 'admin_read_only']);

  const maria = await openPage(browser, cluster.a.url);
  await signIn(maria, 'maria@demo.school');
  const hers = await api(maria, 'GET', '/api/chats');
  assert.equal(hers.body.chats.filter((c) => c.id === familyId).length, 0);
  assert.equal((await api(maria, 'GET', `/api/chats/${familyId}/messages`)).status, 403);
  await maria.close();
});

test('A second family: the admin (B) links Сергей to Alex, and Иван completing Alex\'s lesson opens their chat', async () => {
  const { ivan, admin } = pages;
  // The school's directory knows Alex's father; he never signs in.
  const sergey = psql(
    "INSERT INTO users (email, name, role) VALUES ('sergey@family.test', 'Сергей Ким', 'guardian') RETURNING id",
  );
  const alex = psql("SELECT id FROM users WHERE email = 'alex@demo.school'");
  const linked = await api(admin, 'PUT', `/api/admin/guardians/${sergey}/students/${alex}`);
  assert.equal(linked.status, 201, JSON.stringify(linked.body));
  const lessons = await api(ivan, 'GET', '/api/lessons?status=scheduled');
  const lesson = lessons.body.lessons.find((l) => String(l.student_id) === alex);
  assert.ok(lesson, JSON.stringify(lessons.body));
  const completed = await api(ivan, 'POST', `/api/lessons/${lesson.id}/complete`);
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const families = await api(admin, 'GET', '/api/admin/chats?kind=family');
  const theirs = families.body.chats.filter((c) => c.participants.some((p) => p.name === 'Сергей Ким'));
  assert.deepEqual(
    theirs.map((c) => [c.children, c.participants.map((p) => p.name).sort()]),
    [[['Alex Kim'], ['Иван Петров', 'Сергей Ким']]],
  );
});

test('Иван (B) announces to families; Елена (A) reads it "From the school"; Иван sees "Seen by 1 of 2"; Сергей gets an email', async () => {
  const { ivan, elena } = pages;
  await ivan.getByTestId('new-group').click();
  const dialog = ivan.getByTestId('new-group-dialog');
  await dialog.getByTestId('group-recipients').selectOption('guardians');
  await dialog.getByTestId('create-all-my-students').click();
  await dialog.waitFor({ state: 'detached' });
  await ivan.getByTestId('conversation-title').filter({ hasText: 'To families · Иван Петров' }).waitFor();
  const newsId = Number(new URL(ivan.url()).pathname.split('/')[2]);
  const details = await api(ivan, 'GET', `/api/chats/${newsId}`);
  assert.deepEqual(
    [details.body.recipients, details.body.participants.map((p) => p.name).sort()],
    ['guardians', ['Елена Иванова', 'Иван Петров', 'Сергей Ким']],
    'the families, not the students',
  );
  const text = 'Родительское собрание в четверг в 18:00 📣';
  const id = await send(ivan, text);
  await ivan.locator(`[data-testid="seen-${id}"][data-seen="0"][data-of="2"]`).waitFor();

  // Елена's phone: back to the list, where it waits under "From the school".
  await elena.getByRole('button', { name: 'Back to chats' }).click();
  const section = elena.getByTestId('section-school');
  await section.getByText('From the school').waitFor();
  await section.getByTestId(`chat-${newsId}`).click();
  await waitForMessage(elena, text);
  assert.equal(await elena.getByTestId('composer').count(), 0, 'families read announcements');
  // … and react to them, as every member does: Иван sees her 👍 live.
  await messageAction(elena, 'add-reaction', id);
  await elena.getByTestId(`choose-${id}-👍`).click();
  await ivan.getByTestId(`reaction-${id}-👍`).filter({ hasText: '1' }).waitFor();
  await ivan.locator(`[data-testid="seen-${id}"][data-seen="1"][data-of="2"]`).waitFor();
  assert.equal(await ivan.getByTestId(`seen-${id}`).innerText(), 'Seen by 1 of 2');
  await ivan.getByTestId(`seen-${id}`).click();
  assert.match(await ivan.getByTestId('seen-list').innerText(), /Елена Иванова/);
  assert.match(await ivan.getByTestId('not-seen-list').innerText(), /Сергей Ким/);
  await screenshot(ivan, 'family-03-seen-by');
  await ivan.keyboard.press('Escape');
  await ivan.getByTestId('seen-dialog').waitFor({ state: 'detached' });
  await screenshot(elena, 'family-03-from-the-school');

  // Сергей, who never opens the app, gets it by email; Елена, who read it, gets none (nor any
  // about the demo's conversation with Иван, which the demo has them both read).
  const email = await mail.waitFor((m) => m.rcpt_tos.includes('sergey@family.test'));
  assert.match(email.to, /Сергей Ким/);
  assert.match(email.subject, /Иван Петров/);
  assert.ok(email.text.includes(text), `PUSH_PREVIEW=full: the text goes too: ${email.text}`);
  assert.ok(email.text.includes(`http://127.0.0.1/chats/${newsId}`), email.text);
  assert.match(email.list_unsubscribe, /\/api\/email\/unsubscribe\?token=/);
  assert.deepEqual(mail.mails.filter((m) => m.rcpt_tos.includes('elena@demo.school')), []);

  // She would rather have one email a day than open the app: her choice, kept by the server.
  await elena.getByTestId('email-button').click();
  const choice = elena.getByTestId('email-dialog');
  // The radio shows her choice at once; the server has it once its answer came.
  const saved = elena.waitForResponse(
    (r) => r.url().endsWith('/api/me/email-notifications') && r.request().method() === 'PUT',
  );
  await choice.getByTestId('email-choice-digest').check();
  assert.equal((await saved).status(), 200);
  await elena.waitForFunction(() => document.querySelector('[data-testid="email-choice-digest"]')?.checked);
  const mine = await api(elena, 'GET', '/api/me/email-notifications');
  assert.deepEqual([mine.body.choice, mine.body.effective], ['digest', 'digest']);
  await choice.getByRole('button', { name: 'Close' }).click();
});

test('Иван (B) blocks in their family chat: it closes for both, live; the admin (B) sees it closed', async () => {
  const { ivan, elena, admin } = pages;
  await elena.getByRole('button', { name: 'Back to chats' }).click();
  await elena.getByTestId('section-family').getByTestId(`chat-${familyId}`).click();
  await waitForMessage(elena, ANSWERED);
  await ivan.getByTestId(`chat-${familyId}`).click();
  await waitForMessage(ivan, ANSWERED);
  await ivan.getByTestId('block-visitor').filter({ hasText: 'Block' }).click();
  await ivan.getByRole('dialog', { name: 'Block in this chat?' }).getByRole('button', { name: 'Block' }).click();
  for (const page of [ivan, elena]) {
    await page.locator('[data-testid="chat-closed"]').filter({ hasText: 'This chat was closed' }).waitFor();
    assert.equal(await page.getByTestId('composer').count(), 0);
  }
  const refused = await api(elena, 'POST', '/api/messages', { chat_id: familyId, content: 'почему?' });
  assert.deepEqual([refused.status, refused.body.code], [409, 'chat_closed']);
  await admin.getByTestId(`chat-${familyId}`).click();
  await admin.getByTestId('chat-closed').waitFor();
  await screenshot(elena, 'family-04-blocked');
});
