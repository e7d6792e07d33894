// End-to-end: every view on a phone, 320, 390 and 430 px wide (and at 600 px, and at 1000 px with
// the list and the conversation side by side), in Russian and in English, with
// everything on that makes the header and the rows longest: a school with Web Push (the
// notifications control shows; the browser blocks this site's notifications, so the control
// says so and opens its explanation), the live stream down (the "reconnecting" badge), a
// student with a long Russian name, a group, and a direct chat with its lessons' subjects.
//
// For the student's conversation, the teacher's groups, the guardian's reading and the admin's
// moderation, each view and each of its menus and panels (a chat's ⋯ menu, the notifications
// explanation, the reaction picker, the moderation dialog): the page never scrolls sideways,
// nothing visible reaches past the screen's edges, and every control can be scrolled into view
// and is not covered (phone/layout.mjs). The chat list shows the last message first, on a line
// of its own. The 390 px views are written to docs/screenshots/ (the client's docs show them).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { CLIENT_DIR, launchBrowser, startCluster } from './harness.mjs';
import { api } from './app/helpers.mjs';
import { assertFits } from './phone/layout.mjs';
import { vapidKeys } from './push/pushService.mjs';

// Phones, then a small tablet and a window with the list and the conversation side by side.
const WIDTHS = [320, 390, 430, 600, 1000];
const LANGUAGES = ['ru', 'en'];
const LONG_NAME = 'Мария-Антуанетта Константиновна Иванова-Преображенская';
const GROUP = 'Подготовка к ОГЭ по математике, 9 «Б» класс 📐';
const SHOTS = resolve(CLIENT_DIR, '../docs/screenshots');

let cluster;
let push; // the replica with Web Push, where every page here signs in
let browser;
let groupId;
let directId; // Мария ↔ Иван, with its lessons' subjects

before(async () => {
  cluster = await startCluster();
  const vapid = vapidKeys();
  push = await cluster.addReplica('replica-push', {
    PUSH_VAPID_PRIVATE_KEY: vapid.privateKey,
    PUSH_VAPID_SUBJECT: 'mailto:it@school.example',
  });
  const renamed = spawnSync(
    'psql',
    [cluster.a.databaseUrl(), '-v', 'ON_ERROR_STOP=1', '-c', `UPDATE users SET name = '${LONG_NAME}' WHERE email = 'maria@demo.school'`],
    { encoding: 'utf8' },
  );
  assert.equal(renamed.status, 0, `renaming Мария: ${renamed.stderr}`);
  browser = await launchBrowser();

  // Иван's group with Мария, and a message in each chat that is long enough to be cut.
  const teacher = await phone('ivan@demo.school', 'ru');
  const chats = await api(teacher, 'GET', '/api/chats');
  directId = chats.body.chats.find((chat) => chat.kind === 'direct' && chat.participant?.name === LONG_NAME).id;
  const group = await api(teacher, 'POST', '/api/chats', {
    kind: 'group',
    title: GROUP,
    participant_ids: [chats.body.chats.find((chat) => chat.id === directId).participant.id],
  });
  assert.equal(group.status, 201);
  groupId = group.body.id;
  for (const chat_id of [groupId, directId]) {
    const sent = await api(teacher, 'POST', '/api/messages', {
      chat_id,
      content: 'Не забудьте: контрольная по алгебре в четверг, повторите параграфы 12–14 и задачи 5–9 📐',
    });
    assert.equal(sent.status, 201);
  }
  await teacher.context().close();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/**
 * A phone's page, signed in as `email`, in `language`: push available but blocked by the
 * browser, and the live stream refused, so the header shows both the control and "reconnecting".
 */
async function phone(email, language) {
  const context = await browser.newContext({
    baseURL: push.url,
    locale: language === 'ru' ? 'ru-RU' : 'en-US',
    timezoneId: 'Europe/Moscow',
    reducedMotion: 'reduce',
    viewport: { width: 430, height: 800 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
  });
  context.setDefaultTimeout(15_000);
  await context.addInitScript(() => {
    Object.defineProperty(Notification, 'permission', { configurable: true, get: () => 'denied' });
  });
  await context.route('**/api/events/chat**', (route) => route.abort());
  const page = await context.newPage();
  await page.goto('/');
  await page.getByTestId(`login-${email}`).click();
  await page.locator('nav.chat-list').waitFor();
  return page;
}

/** Checks the page at every width (`open`: brings the view about again after a resize, if needed). */
async function atEveryWidth(page, where, check, shot) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 780 });
    await check(`${where} at ${width} px`);
    if (shot && width === 390) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `phone-${shot}.png`) });
    }
  }
}

async function headerReady(page, { push: pushShown = true } = {}) {
  await page.locator('[data-testid="connection"][data-state="reconnecting"]').waitFor();
  if (pushShown) await page.locator('[data-testid="notifications"][data-state="denied"]').waitFor();
}

/** The chat list's row: the last message comes first, on a line of its own, wide enough to read. */
async function assertPreviewFirst(page, chatId, where) {
  const row = page.getByTestId(`chat-${chatId}`);
  const layout = await row.evaluate((el) => {
    const text = el.querySelector('.chat-item-text').getBoundingClientRect();
    const preview = el.querySelector('[data-testid^="preview-"]');
    const meta = el.querySelector('[data-testid^="meta-"]');
    return {
      text: text.width,
      preview: preview && { ...preview.getBoundingClientRect().toJSON(), words: preview.textContent },
      meta: meta && meta.getBoundingClientRect().toJSON(),
    };
  });
  assert.ok(layout.preview, `${where}: the row shows its last message`);
  assert.match(layout.preview.words, /контрольная по алгебре/, `${where}: the last message's words`);
  // The line is the preview's, the unread badge beside it at most (on main, 34 of 197 px in Russian).
  assert.ok(layout.preview.width >= layout.text * 0.8, `${where}: the preview has the row's width (${layout.preview.width} of ${layout.text})`);
  if (layout.meta) assert.ok(layout.meta.top >= layout.preview.bottom - 1, `${where}: subjects and role come after the preview`);
}

/** The other person's presence under the conversation's title is shown whole, on one line, not cut ("не в с…"). */
async function assertPresenceWhole(page, where) {
  const clipped = await page.evaluate(() => {
    const presence = document.querySelector('.conversation-header [data-testid="presence"]');
    if (!presence) return 'no presence shown';
    const box = presence.closest('.conversation-subtitle').getBoundingClientRect();
    const inside = (r) => r.left >= box.left - 1 && r.right <= box.right + 1 && r.bottom <= box.bottom + 1;
    const rects = [...presence.getClientRects()];
    return rects.length === 1 && rects.every(inside) ? null : JSON.stringify({ box, rects, text: presence.textContent });
  });
  assert.equal(clipped, null, `${where}: the other person's presence is shown whole`);
}

for (const language of LANGUAGES) {
  test(`a student on a phone (${language}): the chat list, its ⋯ menu, the notifications panel, the conversation, the reaction picker`, async () => {
    const page = await phone('maria@demo.school', language);
    await headerReady(page);
    await atEveryWidth(
      page,
      `${language}: Мария's chat list`,
      async (where) => {
        await assertFits(page, where);
        await assertPreviewFirst(page, directId, where);
      },
      language === 'ru' && 'chat-list',
    );

    await page.getByTestId(`actions-${directId}`).click();
    await atEveryWidth(page, `${language}: a chat's ⋯ menu`, (where) => assertFits(page, where, '.chat-actions-menu'));
    await page.keyboard.press('Escape');

    await page.getByTestId('notifications-blocked').click();
    await page.getByTestId('notifications-help').waitFor();
    await atEveryWidth(page, `${language}: the notifications panel`, (where) => assertFits(page, where, '.notifications-panel'));
    await page.getByTestId('notifications-panel-close').click();

    await page.getByTestId(`chat-${directId}`).click();
    await page.locator('.conversation .message-list').waitFor();
    await atEveryWidth(
      page,
      `${language}: Мария's conversation`,
      async (where) => {
        await assertFits(page, where);
        await assertPresenceWhole(page, where);
      },
      language === 'ru' && 'conversation',
    );

    await page.getByTestId('export-button').click();
    await atEveryWidth(page, `${language}: the export menu`, (where) => assertFits(page, where, '.export-links'));
    await page.getByTestId('export-button').click();

    const last = page.locator('[data-testid^="add-reaction-"]').last();
    const messageId = (await last.getAttribute('data-testid')).slice('add-reaction-'.length);
    await last.click();
    const choices = page.getByTestId(`reaction-choices-${messageId}`);
    await choices.waitFor();
    await atEveryWidth(
      page,
      `${language}: the reaction picker`,
      async (where) => {
        await assertFits(page, where, `[data-testid="reaction-choices-${messageId}"]`);
        assert.equal(await choices.locator('button').count(), 8, `${where}: eight reactions`);
      },
      language === 'ru' && 'reactions',
    );
    await page.context().close();
  });

  test(`a teacher on a phone (${language}): groups, "+ New group", the search box, a group's conversation`, async () => {
    const page = await phone('ivan@demo.school', language);
    await headerReady(page);
    await page.getByTestId(`chat-${groupId}`).waitFor();
    await atEveryWidth(page, `${language}: Иван's chat list`, async (where) => {
      await assertFits(page, where);
      await assertPreviewFirst(page, directId, where);
    });
    await page.getByTestId(`actions-${groupId}`).click();
    await atEveryWidth(page, `${language}: a group's ⋯ menu`, (where) => assertFits(page, where, '.chat-actions-menu'));
    await page.keyboard.press('Escape');
    await page.getByTestId(`chat-${groupId}`).click();
    await page.locator('.conversation .message-list').waitFor();
    await atEveryWidth(page, `${language}: Иван's group`, (where) => assertFits(page, where), language === 'ru' && 'group');
    await page.context().close();
  });

  test(`a guardian on a phone (${language}): her child's chats and a conversation she reads`, async () => {
    const page = await phone('elena@demo.school', language);
    await headerReady(page);
    await page.getByTestId(`chat-${directId}`).waitFor();
    await atEveryWidth(page, `${language}: Елена's chat list`, async (where) => {
      await assertFits(page, where);
      await assertPreviewFirst(page, directId, where);
    });
    await page.getByTestId(`chat-${directId}`).click();
    await page.locator('.conversation .message-list').waitFor();
    await atEveryWidth(page, `${language}: Елена reads`, (where) => assertFits(page, where), language === 'ru' && 'guardian');
    await page.context().close();
  });

  test(`an admin on a phone (${language}): every chat, moderation, and who read a chat`, async () => {
    const page = await phone('admin@demo.school', language);
    await headerReady(page, { push: false }); // admins get no notifications: no control
    await page.getByTestId(`chat-${groupId}`).waitFor();
    await atEveryWidth(page, `${language}: Ольга's chat list`, (where) => assertFits(page, where));
    await page.getByTestId('moderation-button').click();
    await page.getByRole('dialog').waitFor();
    await atEveryWidth(page, `${language}: moderation`, (where) => assertFits(page, where, '[role="dialog"]'), language === 'ru' && 'admin');
    await page.keyboard.press('Escape');
    await page.getByTestId(`chat-${directId}`).click();
    await page.locator('.conversation .message-list').waitFor();
    await atEveryWidth(page, `${language}: Ольга reads`, (where) => assertFits(page, where));

    // From the chat she reads: who read it without taking part in it (Елена, in the test above).
    await page.getByTestId('chat-readers-button').click();
    const readers = page.getByTestId('chat-readers-dialog');
    await readers.locator('[data-testid="chat-reader"][data-via="history"]').filter({ hasText: 'Елена Иванова' }).first().waitFor();
    await atEveryWidth(
      page,
      `${language}: who read the chat`,
      (where) => assertFits(page, where, '[data-testid="chat-readers-dialog"]'),
      language === 'ru' && 'admin-readers',
    );
    await page.context().close();
  });
}
