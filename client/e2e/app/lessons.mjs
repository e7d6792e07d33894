// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Lessons:
// completing one opens the pair's chat, live for both.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PHONE, openPage } from '../harness.mjs';
import { screenshot, signIn, waitConnection } from './helpers.mjs';
import { alexChat, browser, chatId, cluster, pages, setAlexChat } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('lessons: Иван (B) marks his scheduled lesson with Alex completed; the chat appears live for both, Alex on his phone (B)', async () => {
    const { teacher } = pages;
    const page = (pages.alex = await openPage(browser, cluster.b.url, PHONE));
    await signIn(page, 'alex@demo.school');
    await page.getByText('No chats yet').waitFor();
    await waitConnection(page, 'live');
    // Neither page is reloaded from here on: a marker in each would be gone.
    for (const p of [teacher, page]) await p.evaluate(() => (window.stayedLoaded = true));

    // Students have no lessons panel; the teacher's lists his scheduled lessons (Мария's is done).
    assert.equal(await page.getByTestId('lessons-button').count(), 0);
    await teacher.getByTestId('lessons-button').click();
    const dialog = teacher.getByTestId('lessons-dialog');
    await dialog.waitFor();
    const rows = dialog.locator('[data-testid^="lesson-"]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1, 'one scheduled lesson: with Alex');
    const row = rows.first();
    assert.match(await row.innerText(), /Student: Alex Kim/);
    assert.equal(await row.getAttribute('data-status'), 'scheduled');
    const lessonId = Number((await row.getAttribute('data-testid')).slice('lesson-'.length));

    // "Mark completed": the server answers the lesson and the chat it opened.
    const answered = teacher.waitForResponse((r) => r.url().endsWith(`/api/lessons/${lessonId}/complete`));
    await dialog.getByTestId(`complete-lesson-${lessonId}`).click();
    const answer = await answered;
    assert.equal(answer.status(), 200);
    const body = await answer.json();
    assert.equal(body.lesson.status, 'completed');
    assert.equal(body.lesson.student_name, 'Alex Kim');
    assert.notEqual(body.chat_id, chatId);
    setAlexChat(body.chat_id);
    await teacher.locator(`[data-testid="lesson-${lessonId}"][data-status="completed"]`).waitFor();
    await dialog.getByTestId(`open-lesson-chat-${lessonId}`).waitFor();
    assert.equal(await dialog.getByTestId(`complete-lesson-${lessonId}`).count(), 0);

    // The chat appears live in both lists (`chat_created` on the stream), no reload.
    const item = page.getByTestId(`chat-${alexChat}`);
    await item.filter({ hasText: 'Иван Петров' }).waitFor();
    await teacher.getByTestId(`chat-${alexChat}`).filter({ hasText: 'Alex Kim' }).waitFor();
    for (const p of [teacher, page]) assert.equal(await p.evaluate(() => window.stayedLoaded), true, 'not reloaded');
    // Whether the new partner is online is fetched with the new chat.
    await item.locator('.avatar[data-presence="online"]').waitFor();
    await screenshot(teacher, '06a-lesson-completed');

    // Closed and opened again, the panel has no scheduled lesson left.
    await dialog.getByTestId('close-lessons').click();
    await dialog.waitFor({ state: 'detached' });
    await teacher.getByTestId('lessons-button').click();
    await dialog.getByTestId('no-lessons').waitFor();
    await teacher.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
}
