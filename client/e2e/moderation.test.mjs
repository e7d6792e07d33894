// End-to-end: moderation in headless Chromium against two tutorchat replicas on one database
// (docs/governance.md). Мария (student) on A, Иван (teacher) on B, the admin on B: a report
// crosses replicas to the admin, a hide crosses back to both participants live, a suspension
// locks Мария's composer without a reload, a chat's exports download from its header, and
// Мария sees that the admin read her chat ("Who read my chats").
// The tests run in order and share the pages: each step builds on the last. Selectors are the
// pages' roles and accessible names (English: the browser is en-US), test ids only where
// nothing else names the element (a message, the connection badge). Its helpers are in
// moderation/helpers.mjs.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, openTab, startCluster } from './harness.mjs';
import {
  HIDDEN,
  api,
  assertAbsent,
  closeModeration,
  composer,
  download,
  message,
  openExportMenu,
  openModeration,
  screenshot,
  send,
  signIn,
  waitLive,
  waitPlaceholder,
} from './moderation/helpers.mjs';

let cluster;
let browser;
/** Pages by who is signed in: maria on A and her second tab (mariaB) on B, ivan on B, admin on B. */
const pages = {};
let chatId; // Мария ↔ Иван
let offending; // the id of Иван's message that is reported and hidden
let afterSuspension; // the id of the message Мария sends once unsuspended

const MARIA = 'Мария Иванова';
const OFFENDING_TEXT = 'Мария, решение у тебя опять списано у Алекса, и это позор на весь класс';
const REPORT_REASON = 'Учитель унижает меня при всех';
const HIDE_REASON = 'Оскорбительный тон по отношению к ученице';
const SUSPEND_REASON = 'Повторные жалобы без оснований';
const DEMO_FIRST = 'Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚';

/** Opens Мария ↔ Иван's chat from the list and waits for its first message. */
async function openChat(page) {
  await page.getByTestId(`chat-${chatId}`).click();
  await page.getByText(DEMO_FIRST, { exact: true }).waitFor();
}

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

// ---- the story ---------------------------------------------------------------------------

test('report → hide: Мария (A) reports Иван’s message (B), the admin (B) hides it from Moderation, and both participants see the placeholder live while the admin still reads it, marked', async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url));
  await signIn(maria, 'maria@demo.school');
  const chats = await api(maria, 'GET', '/api/chats');
  assert.equal(chats.status, 200);
  chatId = chats.body.chats.find((c) => c.kind === 'direct').id;
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url));
  await signIn(ivan, 'ivan@demo.school');
  const admin = (pages.admin = await openPage(browser, cluster.b.url));
  await signIn(admin, 'admin@demo.school');
  for (const page of [maria, ivan, admin]) {
    await waitLive(page);
    await openChat(page);
  }
  // No report yet: the admin's Moderation button counts none.
  assert.equal(await admin.getByRole('button', { name: /open report/ }).count(), 0);

  // Иван writes (B); Мария reads it live (A).
  offending = await send(ivan, OFFENDING_TEXT);
  await message(maria, offending).getByText(OFFENDING_TEXT, { exact: true }).waitFor();
  // Nobody reports their own message, and the admin reports nothing.
  await message(ivan, offending).hover();
  assert.equal(await message(ivan, offending).getByRole('button', { name: 'Report' }).count(), 0, 'Иван cannot report his own message');
  assert.equal(await message(ivan, offending).getByRole('button', { name: 'Edit message' }).count(), 1, 'Иван may edit it, for now');
  await message(admin, offending).getByText(OFFENDING_TEXT, { exact: true }).waitFor();
  await message(admin, offending).hover();
  assert.equal(await message(admin, offending).getByRole('button', { name: 'Report' }).count(), 0, 'admins do not report');

  // Мария reports it: a reason is required, then a note says a moderator will look at it.
  await message(maria, offending).hover();
  await message(maria, offending).getByRole('button', { name: 'Report' }).click();
  const reportDialog = maria.getByRole('dialog', { name: 'Report this message' });
  await reportDialog.waitFor();
  const sendReport = reportDialog.getByRole('button', { name: 'Send report' });
  assert.equal(await sendReport.isDisabled(), true, 'no report without a reason');
  await reportDialog.getByRole('textbox', { name: 'Reason' }).fill('   ');
  assert.equal(await sendReport.isDisabled(), true, 'a blank reason is no reason');
  await reportDialog.getByRole('textbox', { name: 'Reason' }).fill(REPORT_REASON);
  await sendReport.click();
  await reportDialog.waitFor({ state: 'detached' });
  await maria.getByRole('status').filter({ hasText: 'Reported — a moderator will look at it' }).waitFor();
  // Until it is hidden, Мария still reads the message.
  assert.equal(await message(maria, offending).getByText(OFFENDING_TEXT, { exact: true }).count(), 1);

  // The admin's Moderation button (B) counts the report live (it was made through A).
  await admin.getByRole('button', { name: /^Moderation.*\b1 open report\b/ }).waitFor();
  const moderation = await openModeration(admin);
  assert.equal(await moderation.getByRole('tab', { name: 'Reports' }).getAttribute('aria-selected'), 'true');
  const reports = moderation.getByRole('list', { name: 'Reports' });
  const row = reports.getByRole('listitem').filter({ hasText: OFFENDING_TEXT });
  await row.waitFor();
  assert.equal(await reports.getByRole('listitem').count(), 1, 'one open report');
  const rowText = await row.innerText();
  assert.match(rowText, /Иван Петров wrote in /);
  assert.match(rowText, new RegExp(`Reported by ${MARIA}`));
  assert.ok(rowText.includes(`Reason: ${REPORT_REASON}`), `the report's reason: ${rowText}`);
  assert.equal(await row.locator('blockquote').innerText(), OFFENDING_TEXT);
  await screenshot(admin, 'moderation-01-open-report');

  // Hiding it asks why; the report is resolved, so it leaves the open list.
  await row.getByRole('button', { name: 'Hide', exact: true }).click();
  const hideDialog = admin.getByRole('dialog', { name: 'Hide this message' });
  await hideDialog.waitFor();
  const confirmHide = hideDialog.getByRole('button', { name: 'Hide', exact: true });
  assert.equal(await confirmHide.isDisabled(), true, 'no hiding without a reason');
  await hideDialog.getByRole('textbox', { name: 'Reason' }).fill(HIDE_REASON);
  await confirmHide.click();
  await hideDialog.waitFor({ state: 'detached' });
  await moderation.getByText('No open reports.').waitFor();
  await admin.getByRole('button', { name: /open report/ }).waitFor({ state: 'detached' });

  // Every report: the message is still there for the admin, with its text, marked hidden and resolved.
  await moderation.getByRole('button', { name: 'All', exact: true }).click();
  const resolved = moderation.getByRole('list', { name: 'Reports' }).getByRole('listitem').filter({ hasText: OFFENDING_TEXT });
  await resolved.waitFor();
  assert.equal(await resolved.locator('blockquote').innerText(), OFFENDING_TEXT);
  await resolved.getByText('Hidden by a moderator', { exact: true }).waitFor();
  await resolved.getByText('Resolved: hidden', { exact: true }).waitFor();
  assert.equal(await resolved.getByRole('button', { name: 'Hide', exact: true }).count(), 0);
  await resolved.getByRole('button', { name: 'Unhide', exact: true }).waitFor();
  await screenshot(admin, 'moderation-02-report-hidden');
  await closeModeration(admin);

  // Live, without a reload: Мария (A) and Иван, its author (B), see the placeholder, not the
  // text, nor the moderator's reason; the chat's last line says it too.
  await waitPlaceholder(maria, offending, OFFENDING_TEXT, 'Мария (A)');
  await waitPlaceholder(ivan, offending, OFFENDING_TEXT, 'Иван (B)');
  for (const [who, page] of [['Мария', maria], ['Иван', ivan]]) {
    await page.getByTestId(`chat-${chatId}`).filter({ hasText: HIDDEN }).waitFor();
    for (const [where, locator] of [
      ['bubble', message(page, offending)],
      ['chat list', page.getByRole('navigation', { name: 'Chats' })],
    ]) {
      const html = await locator.evaluate((el) => el.outerHTML);
      assertAbsent(html, OFFENDING_TEXT, `${who}'s ${where} still holds the hidden text`);
      assertAbsent(html, HIDE_REASON, `${who}'s ${where} holds the moderator's reason`);
    }
  }
  // Иван wrote it (nothing announced it to him): his whole page has forgotten it. Мария's whole
  // page is the next test's (the screen reader's announcement of its arrival keeps it).
  assertAbsent(await ivan.content(), OFFENDING_TEXT, "Иван's page still holds the hidden text");
  assertAbsent(await ivan.content(), HIDE_REASON, "Иван's page holds the moderator's reason");
  // Neither reports, nor edits, nor answers a hidden message.
  for (const page of [maria, ivan]) {
    await message(page, offending).hover();
    for (const action of ['Report', 'Edit message', 'Reply']) {
      assert.equal(await message(page, offending).getByRole('button', { name: action }).count(), 0, action);
    }
  }
  await screenshot(maria, 'moderation-03-student-hidden');

  // The admin's own conversation view (B) still shows the text, marked hidden with the reason.
  const adminBubble = message(admin, offending);
  await adminBubble.getByText(`Hidden by a moderator: ${HIDE_REASON}`).waitFor();
  assert.equal(await adminBubble.getAttribute('data-hidden'), 'true');
  assert.equal(await adminBubble.getByText(OFFENDING_TEXT, { exact: true }).count(), 1, 'the admin still reads it');
  await screenshot(admin, 'moderation-04-admin-hidden');
});

test(
  'live: once hidden, the text is nowhere in the DOM of the participant it was announced to, not even in the screen reader’s announcement',
  async () => {
    const { maria } = pages;
    await waitPlaceholder(maria, offending, OFFENDING_TEXT, 'Мария (A)');
    const html = await maria.content();
    assertAbsent(html, OFFENDING_TEXT, "Мария's page still holds the hidden text");
    assertAbsent(html, HIDE_REASON, "Мария's page holds the moderator's reason");
  },
);

test('on resume: after a reload (A) and in a new tab on the other replica (B), Мария sees only the placeholder, and the text is nowhere in the page', async () => {
  const { maria } = pages;
  await maria.reload();
  await waitLive(maria);
  await maria.getByText(DEMO_FIRST, { exact: true }).waitFor(); // the chat is open again (its address)
  const tab = (pages.mariaB = await openTab(maria, `${cluster.b.url}/chats/${chatId}`));
  await waitLive(tab);
  for (const [who, page] of [['Мария after a reload (A)', maria], ['Мария in a new tab (B)', tab]]) {
    await message(page, offending).waitFor();
    await waitPlaceholder(page, offending, OFFENDING_TEXT, who);
    assert.equal(await message(page, offending).getByText(HIDDEN, { exact: true }).count(), 1);
    await page.getByTestId(`chat-${chatId}`).filter({ hasText: HIDDEN }).waitFor();
    const html = await page.content();
    assertAbsent(html, OFFENDING_TEXT, `${who}: the hidden text is in the page`);
    assertAbsent(html, HIDE_REASON, `${who}: the moderator's reason is in the page`);
  }
  // What the server gave her page on resume holds no text either (not only what is shown).
  const history = await api(tab, 'GET', `/api/chats/${chatId}/messages`);
  assert.equal(history.status, 200);
  const hidden = history.body.messages.find((m) => m.id === offending);
  assert.equal(hidden.content, '');
  assert.ok(hidden.hidden, 'marked hidden');
});

test('suspend: the admin suspends Мария from Moderation → People; her pages on both replicas show the banner and lock the composer without a reload; unsuspended, she writes again', async () => {
  const { maria, mariaB, ivan, admin } = pages;
  const moderation = await openModeration(admin);
  await moderation.getByRole('tab', { name: 'People' }).click();
  await moderation.getByRole('searchbox', { name: 'Search people' }).fill('maria');
  const person = moderation.getByRole('list', { name: 'People' }).getByRole('listitem', { name: MARIA });
  await person.waitFor();
  await moderation.getByRole('list', { name: 'People' }).getByRole('listitem', { name: 'Иван Петров' }).waitFor({ state: 'detached' });
  assert.equal(await person.getByRole('button', { name: 'Unsuspend' }).count(), 0);

  await person.getByRole('button', { name: 'Suspend', exact: true }).click();
  const suspendDialog = admin.getByRole('dialog', { name: `Suspend ${MARIA}` });
  await suspendDialog.waitFor();
  // Left empty, "until" means indefinitely.
  assert.equal(await suspendDialog.getByLabel('Until (optional; empty: indefinitely)').inputValue(), '');
  await suspendDialog.getByRole('textbox', { name: 'Reason' }).fill(SUSPEND_REASON);
  await suspendDialog.getByRole('button', { name: 'Suspend', exact: true }).click();
  await suspendDialog.waitFor({ state: 'detached' });
  await person.getByText(`Suspended indefinitely: ${SUSPEND_REASON}`).waitFor();
  await person.getByRole('button', { name: 'Unsuspend' }).waitFor();
  await screenshot(admin, 'moderation-05-people-suspended');

  // Her pages learn it without a reload (her streams end, the browser reconnects, GET /api/me
  // says so): the banner says why, the composer and its buttons are locked, she reports nothing.
  const banner = `Your account is suspended indefinitely: ${SUSPEND_REASON}`;
  for (const [who, page] of [['A', maria], ['B', mariaB]]) {
    await page
      .getByRole('status')
      .filter({ hasText: banner })
      .waitFor()
      .catch((error) => {
        throw new Error(`Мария's page on ${who} shows no suspended banner: ${error.message}`);
      });
    await page.waitForFunction(() => document.querySelector('textarea[data-testid="composer"]')?.disabled === true);
    assert.equal(await composer(page).isDisabled(), true, `${who}: the composer is locked`);
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true, `${who}: Send`);
    assert.equal(await page.getByRole('button', { name: 'Attach files' }).isDisabled(), true, `${who}: Attach`);
    await waitLive(page);
  }
  const [demoFirst] = (await api(maria, 'GET', `/api/chats/${chatId}/messages`)).body.messages
    .filter((m) => m.content === DEMO_FIRST)
    .map((m) => m.id);
  await message(maria, demoFirst).hover();
  assert.equal(await message(maria, demoFirst).getByRole('button', { name: 'Report' }).count(), 0, 'no Report while suspended');
  await screenshot(maria, 'moderation-06-student-suspended');

  // She still reads: Иван's next message reaches her live. The server refuses her writes.
  const whileSuspended = await send(ivan, 'Мария, завтра контрольная по теме «Производная»');
  await message(maria, whileSuspended).getByText('Мария, завтра контрольная по теме «Производная»').waitFor();
  const refused = await api(maria, 'POST', '/api/messages', { chat_id: chatId, content: 'Можно вопрос?' });
  assert.deepEqual([refused.status, refused.body.code], [403, 'account_suspended']);

  // Unsuspended: her pages unlock live (no reload), and what she sends reaches Иван.
  await person.getByRole('button', { name: 'Unsuspend' }).click();
  await person.getByRole('button', { name: 'Suspend', exact: true }).waitFor();
  assert.equal(await person.getByText(/Suspended/).count(), 0);
  await closeModeration(admin);
  for (const [who, page] of [['A', maria], ['B', mariaB]]) {
    await page
      .getByRole('status')
      .filter({ hasText: 'Your account is suspended' })
      .waitFor({ state: 'detached' })
      .catch((error) => {
        throw new Error(`Мария's page on ${who} still shows the suspended banner after unsuspending: ${error.message}`);
      });
    await page.waitForFunction(() => document.querySelector('textarea[data-testid="composer"]')?.disabled === false);
  }
  const text = 'Иван Петрович, я поняла, к контрольной готова ✍️';
  afterSuspension = await send(maria, text);
  await message(ivan, afterSuspension).getByText(text, { exact: true }).waitFor();
  await message(mariaB, afterSuspension).getByText(text, { exact: true }).waitFor();
});

test('export: from the chat header, PDF downloads a PDF, and Мария’s HTML holds the chat’s messages but not the hidden text, which the admin’s still holds', async () => {
  const { maria, admin } = pages;
  // The menu: three download links in the UI's language.
  const menu = await openExportMenu(maria);
  assert.equal(await maria.getByRole('button', { name: 'Export', exact: true }).getAttribute('aria-expanded'), 'true');
  for (const name of ['JSON', 'HTML', 'PDF']) {
    const href = await menu.getByRole('link', { name, exact: true }).getAttribute('href');
    const url = new URL(href, maria.url());
    assert.equal(url.pathname, `/api/chats/${chatId}/export`);
    assert.equal(url.searchParams.get('format'), name.toLowerCase());
    assert.equal(url.searchParams.get('lang'), 'en');
  }
  // Escape closes it.
  await maria.keyboard.press('Escape');
  await menu.waitFor({ state: 'hidden' });

  // PDF: a real download (the link, the session's cookie).
  const pdf = await download(maria, 'PDF');
  assert.equal(pdf.bytes.subarray(0, 5).toString('latin1'), '%PDF-', `not a PDF: ${pdf.bytes.subarray(0, 40)}`);
  assert.match(pdf.filename, /\.pdf$/);
  assert.ok(pdf.bytes.length > 1000, `${pdf.bytes.length} bytes`);

  // HTML: what Мария may read — the chat's messages, the placeholder, not the hidden text nor its reason.
  const html = await download(maria, 'HTML');
  assert.match(html.filename, /\.html?$/);
  const page = html.bytes.toString('utf8');
  assert.match(page, /^<!DOCTYPE html>/i);
  for (const text of [DEMO_FIRST, 'Спасибо, Иван Петрович! Сделаю 👍', 'Иван Петрович, я поняла, к контрольной готова ✍️']) {
    assert.ok(page.includes(text), `Мария's HTML export lacks "${text}"`);
  }
  assert.ok(page.includes(HIDDEN), "Мария's HTML export says a message was hidden");
  assertAbsent(page, OFFENDING_TEXT, "Мария's HTML export holds the hidden text");
  assertAbsent(page, HIDE_REASON, "Мария's HTML export holds the moderator's reason");

  // The admin's export of the same chat (his link, his cookies) does hold it, with the reason.
  const adminMenu = await openExportMenu(admin);
  const href = await adminMenu.getByRole('link', { name: 'HTML', exact: true }).getAttribute('href');
  const adminHtml = await admin.evaluate(async (href) => {
    const response = await fetch(href);
    return { status: response.status, disposition: response.headers.get('content-disposition'), body: await response.text() };
  }, href);
  assert.equal(adminHtml.status, 200);
  assert.match(adminHtml.disposition, /^attachment/);
  assert.ok(adminHtml.body.includes(OFFENDING_TEXT), "the admin's export holds the hidden text");
  assert.ok(adminHtml.body.includes(HIDE_REASON), "the admin's export holds the moderator's reason");
  await admin.keyboard.press('Escape');
});

test('who read my chats: Мария sees that the admin, who takes no part in her chat, opened and exported it', async () => {
  const maria = pages.maria;
  await maria.getByRole('button', { name: 'Who read my chats' }).click();
  const dialog = maria.getByTestId('readers-dialog');
  const list = dialog.getByTestId('readers-list');
  await list.waitFor();
  const text = await list.innerText();
  assert.match(text, /\(Admin\) opened the conversation/, text);
  assert.match(text, /\(Admin\) exported the conversation/, text);
  // The chat is named by its other participant; its participants' own reads are not listed.
  assert.match(text, /: Иван Петров\./, text);
  for (const line of text.split('\n').filter(Boolean)) assert.match(line, /^Ольга Админ \(Admin\)/, text);
  await screenshot(maria, 'readers');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'hidden' });
});

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});
