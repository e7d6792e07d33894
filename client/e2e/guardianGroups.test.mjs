// End-to-end: a guardian and a group, under the school's GUARDIAN_GROUPS=own_messages (docs:
// safeguarding.md), in headless Chromium against two tutorchat replicas on one database. Иван
// makes a group "7Б" with Мария and Alex, and each of them writes. Елена (Мария's guardian, on A)
// finds the group under Мария's name, marked "only Мария Иванова’s messages", and reads only
// Мария's words in it; Мария's next message arrives live, Alex's written before it never does.
// Иван (B) is told that guardians read their own child's messages in the group.
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';
import { apiSession } from './school.mjs';

let cluster;
let browser;
/** Pages by who is signed in: elena on A, ivan on B. */
const pages = {};
/** Sessions from Node, for what the others write: ivan, maria, alex. */
const people = {};
let group;

const MARIA_FIRST = 'Я решила задачу 5 ✅';
const ALEX_WORDS = 'У меня не получается, подскажите';
const IVAN_WORDS = 'Молодцы, завтра разберём у доски';
const ALEX_LATER = 'А я всё ещё думаю над пятой';
const MARIA_LATER = 'Задача 6 тоже готова';
const GROUP_NOTICE = 'Guardians can read their own child’s messages in this group';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster({ env: { GUARDIAN_GROUPS: 'own_messages' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** `who` writes `text` to the group (insisting on 201). */
async function write(who, text) {
  const answer = await people[who].call('POST', '/api/messages', { chat_id: group, content: text });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
}

test('Иван (B) makes a group with Мария and Alex, and each of them writes', async () => {
  people.ivan = await apiSession(cluster.b.url, 'ivan@demo.school');
  people.maria = await apiSession(cluster.a.url, 'maria@demo.school');
  people.alex = await apiSession(cluster.b.url, 'alex@demo.school');
  // A teacher adds only students he has completed a lesson with: Иван completes the demo's
  // scheduled lesson with Alex first (which opens their direct chat).
  const lessons = await people.ivan.call('GET', '/api/lessons');
  assert.equal(lessons.status, 200, JSON.stringify(lessons.body));
  const lesson = lessons.body.lessons.find((l) => l.student_id === people.alex.user.id && l.status === 'scheduled');
  assert.ok(lesson, `a scheduled lesson with Alex: ${JSON.stringify(lessons.body)}`);
  const completed = await people.ivan.call('POST', `/api/lessons/${lesson.id}/complete`);
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const made = await people.ivan.call('POST', '/api/chats', {
    kind: 'group',
    title: '7Б',
    participant_ids: [people.maria.user.id, people.alex.user.id],
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  group = made.body.id;
  await write('maria', MARIA_FIRST);
  await write('alex', ALEX_WORDS);
  await write('ivan', IVAN_WORDS);
});

test('Елена (A) finds the group under Мария’s name, marked as Мария’s messages only, and reads only hers', async () => {
  const elena = (pages.elena = await openPage(browser, cluster.a.url));
  await signIn(elena, 'elena@demo.school');
  await waitConnection(elena, 'live');
  const chats = await api(elena, 'GET', '/api/chats');
  assert.equal(chats.status, 200);
  const listed = chats.body.chats.find((c) => c.id === group);
  assert.ok(listed, JSON.stringify(chats.body));
  assert.equal(listed.ward_only, true);
  assert.equal(listed.participant, null, 'no other member is named');

  const item = elena.getByTestId(`section-ward:${listed.ward.id}`).getByTestId(`chat-${group}`);
  await item.waitFor();
  assert.equal(await elena.getByTestId(`ward-only-${group}`).innerText(), 'only Мария Иванова’s messages');
  await screenshot(elena, 'guardian-groups-01-list');

  await item.click();
  await waitForMessage(elena, MARIA_FIRST);
  assert.match(await elena.getByTestId('ward').innerText(), /You read only Мария Иванова’s own messages in this group/);
  for (const words of [ALEX_WORDS, IVAN_WORDS]) {
    assert.equal(await elena.getByText(words).count(), 0, `${words} is not hers to read`);
  }
  assert.equal(await elena.getByTestId('members-button').count(), 0, 'the members are not hers to see');
  assert.equal(await elena.getByRole('textbox', { name: 'Message', exact: true }).count(), 0, 'no composer');
  await screenshot(elena, 'guardian-groups-02-conversation');
});

test('Мария’s next message reaches Елена live; Alex’s, written just before it, never does', async () => {
  await write('alex', ALEX_LATER);
  await write('maria', MARIA_LATER);
  const elena = pages.elena;
  await waitForMessage(elena, MARIA_LATER);
  // The stream delivers in log order: had Alex's come, it would be here before Мария's.
  assert.equal(await elena.getByText(ALEX_LATER).count(), 0);
  await elena.getByTestId(`chat-${group}`).filter({ hasText: MARIA_LATER }).waitFor();
});

test('Иван (B) is told that guardians read their own child’s messages in the group', async () => {
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url));
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  await ivan.getByTestId(`chat-${group}`).click();
  await waitForMessage(ivan, IVAN_WORDS);
  assert.equal(await ivan.getByTestId('guardians-notice').innerText(), `👪 ${GROUP_NOTICE}`);
  await screenshot(ivan, 'guardian-groups-03-teacher-notice');
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
