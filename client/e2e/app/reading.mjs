// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Reading across
// tabs (badges, ✓✓), edits and replies seen live, and what a reload keeps.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openTab, setHidden } from '../harness.mjs';
import {
  UNAVAILABLE,
  badgeCount,
  messageAction,
  screenshot,
  send,
  shownIds,
  waitConnection,
  waitForGone,
  waitForMessage,
  waitTitle,
  waitUnreadCount,
} from './helpers.mjs';
import { adminReads, chatId, cluster, pages, sent } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('reading: what the student reads in one tab clears the badge in her other tab, and the teacher sees ✓✓', async () => {
    const { student, teacher } = pages;
    // A second tab of hers in the same browser, on the other replica: signed in by the same cookie.
    const tab = (pages.studentTab = await openTab(student, cluster.b.url));
    await tab.locator('nav[aria-label="Chats"]').waitFor();
    await tab.getByTestId(`chat-${chatId}`).waitFor();
    await waitConnection(tab, 'live');
    // The first tab has the chat open at its bottom, in front: everything so far is read. (The
    // second tab stays behind it; it gets the events all the same.)
    await student.bringToFront();
    assert.equal(await student.evaluate(() => document.visibilityState), 'visible');
    await waitUnreadCount(tab, 0);
    assert.equal(await badgeCount(tab, chatId), 0);
    await waitTitle(tab, 'Tutorchat');
    // Her own messages: the teacher has had the chat open all along, so they are read (✓✓).
    const ticks = student.getByTestId(`ticks-${sent.retried}`);
    await student.locator(`[data-testid="ticks-${sent.retried}"][data-read="true"]`).waitFor();
    assert.equal(await ticks.getAttribute('aria-label'), 'Read');
    assert.equal(await student.getByTestId(`message-${sent.retried}`).getAttribute('data-read'), 'true');
    assert.equal(await student.getByTestId(`ticks-${sent.reply}`).count(), 0, 'no ticks on the messages of others');

    // Her first tab goes to the background: what arrives now is shown there but not read.
    await setHidden(student, true);
    const texts = ['Мария, посмотрите ещё задачу 6 🧮', 'И задачу 7 тоже 🙏'];
    const ids = [];
    for (const text of texts) ids.push(await send(teacher, text));
    for (const id of ids) {
      assert.equal(await teacher.getByTestId(`ticks-${id}`).getAttribute('data-read'), 'false');
      assert.equal(await teacher.getByTestId(`ticks-${id}`).getAttribute('aria-label'), 'Sent');
    }
    await waitForMessage(student, texts[1]);
    for (const page of [student, tab]) {
      await page.getByTestId(`unread-${chatId}`).filter({ hasText: '2 unread messages' }).waitFor();
      await waitTitle(page, '(2) Tutorchat');
    }
    await waitUnreadCount(tab, 2);
    assert.equal(await badgeCount(tab, chatId), 2);
    await screenshot(tab, '06a-student-second-tab-unread');

    // In front again, at the bottom of the chat: read. Both tabs clear, the teacher sees ✓✓.
    await setHidden(student, false);
    for (const page of [student, tab]) {
      await page.getByTestId(`unread-${chatId}`).waitFor({ state: 'detached' });
      await waitTitle(page, 'Tutorchat');
    }
    for (const id of ids) await teacher.locator(`[data-testid="ticks-${id}"][data-read="true"]`).waitFor();
    assert.equal(await teacher.getByTestId(`ticks-${ids[1]}`).getAttribute('aria-label'), 'Read');
    await waitUnreadCount(tab, 0);
    await screenshot(teacher, '06b-teacher-read-ticks');
  });

  test('the teacher edits a message and answers others; the student and the admin see it all live', async () => {
    const { student, teacher, admin } = pages;
    const greeting = sent.greeting; // 'Ольга, добрый день! 🙂', Иван's
    // The student answers it first (her quote will follow the edit). Esc drops a reply.
    await messageAction(student, 'reply', greeting);
    const preview = student.getByTestId('reply-preview');
    await preview.filter({ hasText: 'Ольга, добрый день! 🙂' }).waitFor();
    assert.match(await preview.innerText(), /Иван Петров/);
    await student.getByTestId('composer').press('Escape');
    await preview.waitFor({ state: 'detached' });
    await messageAction(student, 'reply', greeting);
    await preview.waitFor();
    sent.question = await send(student, 'Это мне? 🙂');
    assert.equal(await preview.count(), 0, 'the quote goes with the message');
    for (const page of [student, teacher, admin]) {
      const quote = page.getByTestId(`quote-${sent.question}`);
      await quote.filter({ hasText: 'Ольга, добрый день! 🙂' }).waitFor();
      assert.match(await quote.innerText(), /Иван Петров/);
    }

    // Only its author can edit a message; the admin can neither edit nor answer.
    assert.equal(await student.getByTestId(`edit-${greeting}`).count(), 0);
    assert.equal(await student.getByTestId(`edit-${sent.question}`).count(), 1);
    assert.equal(await admin.locator('[data-testid^="edit-"], [data-testid^="reply-"]').count(), 0);

    // The teacher edits his greeting: Esc cancels, a failure shows why and keeps the text, Enter saves.
    await messageAction(teacher, 'edit', greeting);
    const input = teacher.getByTestId('edit-input');
    assert.equal(await input.inputValue(), 'Ольга, добрый день! 🙂');
    await input.press('Escape');
    await input.waitFor({ state: 'detached' });
    await teacher.route(
      `**/api/messages/${greeting}`,
      (route) => route.fulfill({ status: 503, contentType: 'application/json', body: UNAVAILABLE }),
      { times: 1 },
    );
    await messageAction(teacher, 'edit', greeting);
    await input.fill('Мария, добрый день!');
    await input.press('Shift+Enter');
    await teacher.keyboard.insertText('Простите, опечатка 🙂');
    await input.press('Enter');
    await teacher.getByTestId('edit-error').filter({ hasText: 'Not saved. The server is unavailable right now. Try again in a moment.' }).waitFor();
    await screenshot(teacher, '06c-edit-failed');
    await input.press('Enter');
    await input.waitFor({ state: 'detached' });
    const edited = 'Мария, добрый день!\nПростите, опечатка 🙂';
    for (const page of [teacher, student, admin]) {
      assert.deepEqual(await waitForMessage(page, edited), [greeting]);
      const mark = page.getByTestId(`edited-${greeting}`);
      assert.equal(await mark.innerText(), 'edited');
      assert.match(await mark.getAttribute('title'), /^Edited /);
      await page.getByTestId(`quote-${sent.question}`).filter({ hasText: 'Мария, добрый день!' }).waitFor();
    }
    assert.equal(await student.getByTestId(`edited-${sent.question}`).count(), 0);

    // The teacher answers the student's retried message; while it is sent, it shows the quote too.
    await messageAction(teacher, 'reply', sent.retried);
    await teacher.route('**/api/messages', async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    }, { times: 1 });
    await teacher.getByTestId('composer').fill('Получил, спасибо! ✅');
    await teacher.getByTestId('composer').press('Enter');
    await teacher.getByTestId('message-pending').locator('.quote').filter({ hasText: 'Отправлю ещё раз 🔁' }).waitFor();
    [sent.answer] = await waitForMessage(teacher, 'Получил, спасибо! ✅');
    for (const page of [teacher, student, admin]) {
      assert.deepEqual(await waitForMessage(page, 'Получил, спасибо! ✅'), [sent.answer]);
      await page.getByTestId(`quote-${sent.answer}`).filter({ hasText: 'Отправлю ещё раз 🔁' }).waitFor();
    }
    // Clicking a quote brings the quoted message into view and marks it for a moment.
    await student.getByTestId(`quote-${sent.answer}`).click();
    await student.locator(`[data-testid="message-${sent.retried}"].highlight`).waitFor();
    await screenshot(student, '06d-student-edit-and-replies');
    await student.locator(`[data-testid="message-${sent.retried}"].highlight`).waitFor({ state: 'detached' });
    await student.locator('.messages').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));

    // A quoted message that is deleted: the quotes say so, live.
    const draft = await send(student, 'Черновик, сейчас удалю 📝');
    await waitForMessage(teacher, 'Черновик, сейчас удалю 📝');
    await messageAction(teacher, 'reply', draft);
    const why = await send(teacher, 'Что за черновик? 🤔');
    await student.getByTestId(`quote-${why}`).filter({ hasText: 'Черновик' }).waitFor();
    await messageAction(student, 'delete', draft);
    await student.getByTestId('confirm-delete').click();
    for (const page of [teacher, student, admin]) {
      await waitForGone(page, draft);
      const quote = page.getByTestId(`quote-${why}`);
      await quote.filter({ hasText: 'Message deleted' }).waitFor();
      assert.equal(await quote.locator('em').innerText(), 'Message deleted');
    }
    await screenshot(admin, '06e-admin-edit-and-replies');
  });

  test('after a reload the unread badges and the title are what the server counts', async () => {
    const { student, studentTab: tab, teacher } = pages;
    await setHidden(student, true);
    const id = await send(teacher, 'Завтра контрольная, не забудьте 📅');
    await waitForMessage(student, 'Завтра контрольная, не забудьте 📅');
    await waitUnreadCount(tab, 1);
    await tab.reload();
    await tab.getByTestId(`unread-${chatId}`).filter({ hasText: '1 unread message' }).waitFor();
    assert.equal(await badgeCount(tab, chatId), 1);
    await waitTitle(tab, '(1) Tutorchat');
    assert.match(await tab.getByTestId(`chat-${chatId}`).innerText(), /Завтра контрольная/);
    await setHidden(student, false);
    await tab.getByTestId(`unread-${chatId}`).waitFor({ state: 'detached' });
    await teacher.locator(`[data-testid="ticks-${id}"][data-read="true"]`).waitFor();
    await waitUnreadCount(tab, 0);
    await tab.reload();
    await tab.getByTestId(`chat-${chatId}`).waitFor();
    assert.equal(await badgeCount(tab, chatId), 0);
    assert.equal(await tab.title(), 'Tutorchat');
    // The admin never marks anything read.
    assert.deepEqual(adminReads, []);
  });

  test('a reload keeps the open chat and its history', async () => {
    const { student } = pages;
    const before = await shownIds(student);
    await student.reload();
    await waitForMessage(student, 'Отправлю ещё раз 🔁');
    assert.deepEqual(await shownIds(student), before);
    assert.ok(!before.includes(sent.markup));
    assert.ok(before.includes(sent.first) && before.includes(sent.reply) && before.includes(sent.retried));
    await waitConnection(student, 'live');
  });
}
