// End-to-end: accessibility of a participant's views (a teacher's, which has them all), in
// headless Chromium against two tutorchat replicas. axe-core runs its WCAG 2.1 A and AA rules
// (e2e/a11y/axe.mjs) on every view, at a desktop's and a phone's size (and dark, on a
// desktop), in English and in Russian: the inbox (with a chat's actions open), the Archived
// view, the search of chats and of messages, the dialogs of the list's header (New group,
// Inquiry links, Lessons, Who read my chats), a conversation holding a pinned message, a
// reply, a reaction, an edited message and a scheduled one; two files in the composer, sent,
// the image opened in the viewer; each of its menus open (a reaction's choice, Send later,
// Export), replying, editing a message and a scheduled one, the Delete and Report dialogs, and
// a group with its members' panel, a mention of him and the composer completing a name, an
// announcement (his, and a student's, read only). Each view also has one `main` landmark and
// one level-one heading. A sweep fails once, listing every violation and the views it is in.

import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, startCluster } from './harness.mjs';
import { auditor } from './a11y/axe.mjs';
import { SWEEPS, call, demoChatId, escape, messageAction, openChat, signedIn, toList } from './a11y/pages.mjs';
import { makePng, screenshot } from './app/helpers.mjs';

/** A 48 × 32 picture, a gradient. */
const PNG = makePng(48, 32, (x, y) => [x * 5, y * 7, 160]);

let cluster;
let browser;
/** What the conversation holds, by what it shows (ids). */
const seeded = {};

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

test('seeding: a conversation with a pin, a reply, a reaction, an edit and a scheduled message; a group; an archived group', async () => {
  const [first] = SWEEPS;
  const ivan = await signedIn(browser, cluster.a.url, first, 'ivan@demo.school');
  const maria = await signedIn(browser, cluster.b.url, first, 'maria@demo.school');
  const chatId = (seeded.chatId = await demoChatId(ivan));
  const mariaId = (await call(maria, 200, 'GET', '/api/me')).user.id;
  const post = (page, body) => call(page, 201, 'POST', '/api/messages', { chat_id: chatId, ...body });

  const pinned = (seeded.pinned = (await post(ivan, { content: 'Контрольная в пятницу: §12–14. Принесите калькуляторы' })).id);
  await call(ivan, 204, 'PUT', `/api/chats/${chatId}/pins/${pinned}`);
  seeded.reply = (await post(maria, { content: 'Хорошо, а задачи из §15 тоже будут?', reply_to_message_id: pinned })).id;
  await call(maria, 201, 'PUT', `/api/messages/${pinned}/reactions/${encodeURIComponent('👍')}`);
  seeded.edited = (await post(ivan, { content: 'Нет, только до §14' })).id;
  await call(ivan, 200, 'PUT', `/api/messages/${seeded.edited}`, { content: 'Нет, только §12–14 (и повторите формулы)' });
  const sendAt = new Date(Date.now() + 24 * 3600_000).toISOString();
  const scheduled = await call(ivan, 202, 'POST', '/api/messages', { chat_id: chatId, content: 'Напоминание: завтра контрольная', send_at: sendAt });
  seeded.scheduled = scheduled.id;

  const group = await call(ivan, 201, 'POST', '/api/chats', {
    kind: 'group',
    title: 'Алгебра 9Б',
    participant_ids: [mariaId],
    context: { type: 'course', title: 'ЕГЭ математика' },
  });
  seeded.groupId = group.id;
  await call(ivan, 201, 'POST', '/api/messages', { chat_id: group.id, content: 'Всем привет! Здесь обсуждаем домашние задания' });
  await call(maria, 201, 'POST', '/api/messages', { chat_id: group.id, content: '@Иван Петров, здравствуйте! Вопрос по задаче 3' });
  // An announcement to all his students: only he writes there.
  const announcement = await call(ivan, 201, 'POST', '/api/chats', { kind: 'group', title: 'Объявления', audience: 'my_students' });
  seeded.announcementId = announcement.id;
  await call(ivan, 201, 'POST', '/api/messages', { chat_id: announcement.id, content: 'Завтра урок переносится на 16:00' });
  const archived = await call(ivan, 201, 'POST', '/api/chats', { kind: 'group', title: 'Кружок (прошлый год)', participant_ids: [mariaId] });
  await call(ivan, 201, 'PUT', `/api/chats/${archived.id}/archive`);
  await ivan.context().close();
  await maria.context().close();
});

for (const sweep of SWEEPS) {
  test(`every view of a teacher passes axe-core (WCAG 2.1 AA): ${sweep.name}`, async () => {
    const { audit, assertClean } = auditor();
    const page = await signedIn(browser, cluster.a.url, sweep, 'ivan@demo.school');
    const { chatId, groupId, announcementId, pinned, reply, edited, scheduled } = seeded;
    const shot = (name) => screenshot(page, `a11y-${sweep.tag}-${name}`);

    // The inbox, a chat's actions, the Archived view.
    await page.getByTestId(`chat-${chatId}`).waitFor();
    await audit(page, 'inbox');
    await shot('inbox');
    await page.getByTestId(`actions-${chatId}`).click();
    await page.getByTestId(`mute-${chatId}`).waitFor();
    await audit(page, 'inbox, a chat’s actions open');
    await escape(page, page.getByTestId(`mute-${chatId}`));
    await page.getByTestId('archived-view').click();
    await page.getByTestId('archived-chats').waitFor();
    await audit(page, 'Archived');
    await page.getByTestId('archived-view').click();

    // Searching: chats by name, then the messages.
    const search = page.getByTestId('search-chats');
    await search.fill('контрольн');
    await page.getByTestId('search-messages-action').waitFor();
    await audit(page, 'search, chats');
    await search.press('Enter');
    await page.locator('[data-testid^="search-result-"]').first().waitFor();
    await audit(page, 'search, messages found');
    await shot('search');
    await page.getByTestId('search-mode-chats').click();
    await search.fill('');

    // The list header's dialogs.
    for (const [button, dialog] of [
      ['new-group', 'new-group-dialog'],
      ['inquiry-links', 'inquiry-links-dialog'],
      ['lessons-button', 'lessons-dialog'],
      ['readers-button', 'readers-dialog'],
    ]) {
      await page.getByTestId(button).click();
      await page.getByTestId(dialog).waitFor();
      await page.locator(`[data-testid="${dialog}"] button`).first().waitFor();
      await audit(page, `dialog ${dialog}`);
      await escape(page, page.getByTestId(dialog));
    }

    // The conversation: pinned, reply, reaction, edited, scheduled.
    await openChat(page, chatId);
    for (const id of [`message-${reply}`, `pinned-${pinned}`, `reaction-${pinned}-👍`, `edited-${edited}`, `scheduled-${scheduled}`]) {
      await page.getByTestId(id).waitFor();
    }
    await audit(page, 'conversation');
    await shot('conversation');
    // Files: two uploads in the composer, then sent; the image opened in the viewer.
    await page.getByTestId('attach-input').setInputFiles([
      { name: 'решение.txt', mimeType: 'text/plain', buffer: Buffer.from('x = 42\n') },
      { name: 'график.png', mimeType: 'image/png', buffer: PNG },
    ]);
    await page.locator('[data-testid="upload"][data-status="done"]').nth(1).waitFor();
    await audit(page, 'composer, two files attached');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('uploads').waitFor({ state: 'detached' });
    // Once the server has the message: a pending bubble gives way to the saved one (another
    // element), which would take an image opened in the first with it.
    await page.getByTestId('message-pending').waitFor({ state: 'detached' });
    const image = page.locator('.message-list [data-testid^="open-image-"]').last();
    await image.click();
    await page.getByTestId('image-viewer').waitFor();
    await audit(page, 'dialog: an image opened');
    await escape(page, page.getByTestId('image-viewer'));
    await messageAction(page, 'add-reaction', reply);
    await page.getByTestId(`reaction-choices-${reply}`).waitFor();
    await audit(page, 'conversation, a reaction’s choice open');
    await escape(page, page.getByTestId(`reaction-choices-${reply}`));
    await page.getByTestId('schedule-toggle').click();
    await page.getByTestId('schedule-at').waitFor();
    await audit(page, 'composer, Send later open');
    await escape(page, page.getByTestId('schedule-at'));
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-json').waitFor();
    await audit(page, 'conversation, Export open');
    await page.keyboard.press('Escape');
    await messageAction(page, 'reply', reply);
    await page.getByTestId('reply-preview').waitFor();
    await audit(page, 'composer, replying');
    await page.getByTestId('composer').press('Escape');
    await messageAction(page, 'edit', edited);
    await page.getByTestId('edit-input').waitFor();
    await audit(page, 'a message being edited');
    await page.getByTestId('cancel-edit').click();
    await page.getByTestId('scheduled-edit-' + scheduled).click();
    await page.getByTestId(`scheduled-text-${scheduled}`).waitFor();
    await audit(page, 'a scheduled message being edited');
    await page.getByTestId(`scheduled-text-${scheduled}`).press('Escape');
    await messageAction(page, 'delete', edited);
    await page.getByRole('dialog').waitFor();
    await audit(page, 'dialog: delete a message');
    await escape(page, page.getByRole('dialog'));
    await messageAction(page, 'report', reply);
    await page.getByTestId('report-dialog').waitFor();
    await audit(page, 'dialog: report a message');
    await escape(page, page.getByTestId('report-dialog'));

    // A group, and its members.
    await toList(page);
    await openChat(page, groupId);
    await page.getByTestId('members-button').click();
    await page.getByTestId('members').waitFor();
    await audit(page, 'group, members');
    await shot('group');
    await escape(page, page.getByTestId('members'));
    // Mentions: his own name marked in Мария's message, and the composer completing a name.
    await page.getByTestId('mention-me').first().waitFor();
    await page.getByTestId('composer').pressSequentially('@Ма');
    await page.getByTestId('mention-list').waitFor();
    await audit(page, 'group, completing a name');
    await escape(page, page.getByTestId('mention-list'));
    await page.getByTestId('composer').fill('');
    await toList(page);
    await openChat(page, announcementId);
    await audit(page, 'announcement, its owner');
    await page.context().close();

    // A student reading the announcement (no composer).
    const maria = await signedIn(browser, cluster.b.url, sweep, 'maria@demo.school');
    await openChat(maria, announcementId);
    await maria.getByTestId('announcement-read-only').waitFor();
    await audit(maria, 'announcement, a student');
    await screenshot(maria, `a11y-${sweep.tag}-announcement`);
    await maria.context().close();
    assertClean();
  });
}
