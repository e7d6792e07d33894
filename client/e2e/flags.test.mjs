// End-to-end: flags (docs/safeguarding.md) in headless Chromium against two tutorchat replicas
// on one database. The admin (B) keeps the school's list of words in Moderation (a word twice,
// or one a search cannot match, is refused in words); Иван (teacher, A) writes a message with
// one of them (in another form) to Мария; it reaches the admin's Moderation live, as a flag
// above people's reports, with its cause; the admin clears it, and the list of all says so.
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { api, screenshot, send, signIn, waitConnection } from './app/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: admin on B, ivan on A. */
const pages = {};

const TERM = 'встретиться';
const FLAGGED = 'Мария, давайте встретимся в субботу у школы, без родителей';

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('the admin (B) adds a word to the list in Moderation; the same word twice, or none a search matches, is refused in words', async () => {
  const admin = (pages.admin = await openPage(browser, cluster.b.url));
  await signIn(admin, 'admin@demo.school');
  await waitConnection(admin, 'live');
  await admin.getByTestId('moderation-button').click();
  const dialog = admin.getByTestId('moderation-dialog');
  assert.equal(await dialog.getByRole('tab', { name: 'Reports' }).getAttribute('aria-selected'), 'true');
  const flags = dialog.getByTestId('flags-section');
  await flags.getByText('No open flags.').waitFor();

  await flags.getByText('Flagged words').click();
  await flags.getByText('No words yet.').waitFor();
  const input = flags.getByRole('textbox', { name: 'New word or phrase' });
  const add = flags.getByRole('button', { name: 'Add', exact: true });
  for (const word of [TERM, 'телефон']) {
    await input.fill(word);
    await add.click();
    await flags.getByRole('list', { name: 'Flagged words' }).getByText(word, { exact: true }).waitFor();
  }
  await input.fill(TERM);
  await add.click();
  await flags.getByRole('alert').filter({ hasText: 'This word is on the list already.' }).waitFor();
  await input.fill('и');
  await add.click();
  await flags.getByRole('alert').filter({ hasText: 'It has no word a search would match' }).waitFor();
  // Deleted again: the list keeps the one word.
  await flags.getByRole('button', { name: 'Delete “телефон”' }).click();
  await flags.getByText('телефон', { exact: true }).waitFor({ state: 'detached' });
  const terms = await api(admin, 'GET', '/api/admin/flag-terms');
  assert.deepEqual(
    terms.body.terms.map((t) => t.term),
    [TERM],
  );
  await screenshot(admin, 'flags-01-terms');
});

test('Иван (A) writes a matching message: it reaches the admin’s Moderation live, as a flag above people’s reports, with its cause', async () => {
  const ivan = (pages.ivan = await openPage(browser, cluster.a.url));
  await signIn(ivan, 'ivan@demo.school');
  await waitConnection(ivan, 'live');
  const chats = await api(ivan, 'GET', '/api/chats');
  const chatId = chats.body.chats.find((c) => c.kind === 'direct' && c.participant?.name === 'Мария Иванова').id;
  await ivan.getByTestId(`chat-${chatId}`).click();
  await send(ivan, FLAGGED);

  const admin = pages.admin;
  const dialog = admin.getByTestId('moderation-dialog');
  const flag = dialog.getByRole('list', { name: 'Flags' }).getByRole('listitem').filter({ hasText: FLAGGED });
  await flag.waitFor();
  const text = await flag.innerText();
  assert.match(text, /Иван Петров wrote in /);
  assert.match(text, /Flagged automatically/);
  assert.ok(text.includes(`Cause: ${TERM}`), `the flag's cause: ${text}`);
  await admin.getByRole('button', { name: /^Moderation.*\b1 open report\b/ }).waitFor();
  // First: above the heading of people's reports.
  const flagBox = await flag.boundingBox();
  const reportsBox = await dialog.getByRole('heading', { name: 'Reports' }).boundingBox();
  assert.ok(flagBox && reportsBox && flagBox.y < reportsBox.y, 'the flags come before the reports');
  await screenshot(admin, 'flags-02-flagged');
});

test('the admin clears the flag: it leaves the open flags, and the list of all says it was cleared', async () => {
  const admin = pages.admin;
  const dialog = admin.getByTestId('moderation-dialog');
  const flag = dialog.getByRole('list', { name: 'Flags' }).getByRole('listitem').filter({ hasText: FLAGGED });
  await flag.getByRole('button', { name: 'Clear', exact: true }).click();
  await dialog.getByText('No open flags.').waitFor();
  await admin.getByRole('button', { name: /open report/ }).waitFor({ state: 'detached' });
  await dialog.getByRole('button', { name: 'All', exact: true }).click();
  const resolved = dialog.getByRole('list', { name: 'Reports' }).getByRole('listitem').filter({ hasText: FLAGGED });
  await resolved.getByText('Resolved: cleared', { exact: true }).waitFor();
  assert.equal(await resolved.getByRole('button', { name: 'Clear', exact: true }).count(), 0);
  const open = await api(admin, 'GET', '/api/admin/reports?kind=flag&state=open');
  assert.equal(open.body.reports.length, 0);
  await screenshot(admin, 'flags-03-cleared');
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
