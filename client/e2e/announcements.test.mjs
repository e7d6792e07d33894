// End-to-end: announcements, in headless Chromium against two tutorchat replicas on one
// database. Иван (A, desktop, English), a teacher, opens "New group" and announces to all his
// students in one click: the announcement opens for him with Мария as its member (his demo
// lesson with her is completed), titled with his name so that students know whose it is; a
// second click opens the same one. He posts; Мария (B, Russian) sees the announcement arrive in
// her list and its message live through the other replica, and has no composer there, only a
// notice why; the server refuses her a message too. Then Иван completes his scheduled lesson
// with Alex: Alex joins the announcement by the lesson (the log's participant_added), and sees
// Иван's next announcement live. Иван then sees under each announcement who of its members
// read it ("Seen by 1 of 2", the names), moving live as Мария reads on the other replica; its
// members see nobody's. The tests run in order and share the pages.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { DESKTOP, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, send, signIn, waitConnection, waitForMessage, waitRow } from './app/helpers.mjs';

let cluster;
let browser;
/** ivan on A (desktop, English), maria on B (Russian), alex on B (English). */
const pages = {};
let announcementId;

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('Иван (A) announces to all his students in one click; Мария (B) reads it live and has no composer', async () => {
  const ivan = (pages.ivan = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  const maria = (pages.maria = await openPage(browser, cluster.b.url, { ...DESKTOP, locale: 'ru-RU' }));
  await maria.getByTestId('login-maria@demo.school').click();
  await maria.getByRole('navigation', { name: 'Чаты' }).waitFor();
  await waitConnection(maria, 'live');

  await ivan.getByTestId('new-group').click();
  const dialog = ivan.getByTestId('new-group-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('create-all-my-students').click();
  await dialog.waitFor({ state: 'detached' });
  await ivan.waitForFunction(() => /^\/chats\/\d+$/.test(location.pathname));
  announcementId = Number(new URL(ivan.url()).pathname.split('/')[2]);
  await ivan.getByTestId('conversation-title').filter({ hasText: 'Announcements · Иван Петров' }).waitFor();
  await ivan.getByTestId('member-count').filter({ hasText: '2 members' }).waitFor();
  const details = await api(ivan, 'GET', `/api/chats/${announcementId}`);
  assert.equal(details.status, 200);
  assert.equal(details.body.announcement, true);
  assert.equal(details.body.audience, 'my_students');
  assert.deepEqual(details.body.participants.map((p) => p.name).sort(), ['Иван Петров', 'Мария Иванова']);

  // The owner writes as in any chat.
  const text = 'Завтра занятий не будет: учитель на курсах 📣';
  const id = await send(ivan, text);
  await screenshot(ivan, 'announcements-01-teacher');

  // Мария, on the other replica: the announcement arrives in her list, its message live.
  await waitRow(maria, announcementId, text);
  await maria.getByTestId(`chat-${announcementId}`).click();
  assert.deepEqual(await waitForMessage(maria, text), [id]);
  await maria.getByTestId('announcement-read-only').waitFor();
  assert.equal(await maria.getByTestId('composer').count(), 0, 'no composer for a member');
  assert.match(await maria.getByTestId('announcement-read-only').innerText(), /Объявления/);
  const refused = await api(maria, 'POST', '/api/messages', { chat_id: announcementId, content: 'можно вопрос?' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'announcement_read_only');
  await screenshot(maria, 'announcements-02-student-read-only');

  // A second click opens the same announcement: a teacher has one.
  await ivan.getByTestId('new-group').click();
  await ivan.getByTestId('new-group-dialog').getByTestId('create-all-my-students').click();
  await ivan.getByTestId('new-group-dialog').waitFor({ state: 'detached' });
  await ivan.waitForFunction((id) => location.pathname === `/chats/${id}`, announcementId);
  const mine = await api(ivan, 'GET', '/api/chats');
  const audiences = mine.body.chats.filter((c) => c.audience === 'my_students');
  assert.deepEqual(audiences.map((c) => c.id), [announcementId], JSON.stringify(mine.body));
});

test('a lesson completed later adds its student: Alex (B) gets the next announcement live', async () => {
  const { ivan } = pages;
  const alex = (pages.alex = await openPage(browser, cluster.b.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(alex, 'alex@demo.school');
  await waitConnection(alex, 'live');
  const lessons = await api(ivan, 'GET', '/api/lessons?status=scheduled');
  assert.equal(lessons.status, 200, JSON.stringify(lessons.body));
  const lesson = lessons.body.lessons.find((l) => l.student_name === 'Alex Kim');
  assert.ok(lesson, JSON.stringify(lessons.body));
  const completed = await api(ivan, 'POST', `/api/lessons/${lesson.id}/complete`);
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  await ivan.getByTestId('member-count').filter({ hasText: '3 members' }).waitFor();

  const text = 'Alex, welcome: the schedule is pinned here';
  const id = await send(ivan, text);
  await waitRow(alex, announcementId, text);
  await alex.getByTestId(`chat-${announcementId}`).click();
  assert.deepEqual(await waitForMessage(alex, text), [id]);
  await alex.getByTestId('announcement-read-only').waitFor();
  assert.equal(await alex.getByTestId('composer').count(), 0);
});

test('Иван sees who read each announcement: "Seen by N of M", live, and the names', async () => {
  const { ivan, maria, alex } = pages;
  // Мария turns to her lesson chat; Alex stays on the announcement.
  const list = await api(maria, 'GET', '/api/chats');
  const direct = list.body.chats.find((c) => c.kind === 'direct');
  assert.ok(direct, JSON.stringify(list.body));
  await maria.getByTestId(`chat-${direct.id}`).click();
  await maria.waitForFunction((id) => location.pathname === `/chats/${id}`, direct.id);

  const text = 'Reminder: bring your notebooks on Monday';
  const id = await send(ivan, text);
  assert.deepEqual(await waitForMessage(alex, text), [id]);
  const seen = ivan.getByTestId(`seen-${id}`);
  const counted = (n, of) => ivan.locator(`[data-testid="seen-${id}"][data-seen="${n}"][data-of="${of}"]`).waitFor();
  await counted(1, 2);
  assert.equal(await seen.innerText(), 'Seen by 1 of 2');
  // The first announcement was sent before Alex's lesson: it counts Мария only.
  const first = await api(ivan, 'GET', `/api/chats/${announcementId}/messages?limit=1&after_id=0`);
  await ivan.locator(`[data-testid="seen-${first.body.messages[0].id}"][data-of="1"]`).waitFor();

  await seen.click();
  const dialog = ivan.getByTestId('seen-dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByTestId('seen-list').innerText(), 'Alex Kim');
  assert.equal(await dialog.getByTestId('not-seen-list').innerText(), 'Мария Иванова');
  await screenshot(ivan, 'announcements-03-seen-by');
  // Мария opens it on the other replica: the names move while the dialog is open.
  await maria.getByTestId(`chat-${announcementId}`).click();
  await dialog.getByTestId('seen-list').locator('li').nth(1).waitFor();
  assert.equal(await dialog.getByTestId('not-seen-list').locator('li').count(), 0);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await counted(2, 2);

  // Members of an announcement see no one else's reading.
  assert.equal(await maria.locator('.seen-by').count(), 0);
  assert.equal((await api(maria, 'GET', `/api/chats/${announcementId}/read-markers`)).status, 403);
});
