// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Presence:
// online, "last seen" once the last tab is closed, online again.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openTabIn } from '../harness.mjs';
import { screenshot, waitConnection, waitForMessage, waitPresence } from './helpers.mjs';
import { chatId, cluster, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('presence: the teacher sees the student online, "last seen" once her last tab is closed, and online again when she is back', async () => {
    const { student, studentTab: tab, teacher } = pages;
    const row = teacher.getByTestId(`chat-${chatId}`);
    const avatar = row.locator('.avatar');
    // Both see each other online: in the conversation's header and as a dot in the list.
    await waitPresence(teacher, true);
    assert.equal(await teacher.getByTestId('presence').innerText(), 'online');
    assert.equal(await avatar.getAttribute('data-presence'), 'online');
    assert.equal(await row.locator('.presence-dot').count(), 1);
    await waitPresence(student, true);
    await student.getByTestId(`chat-${chatId}`).locator('.avatar[data-presence="online"]').waitFor();
    await screenshot(teacher, '07a-teacher-sees-student-online');

    // One of her two tabs closes: she is still online (well past the server's grace).
    await tab.close();
    await teacher.waitForTimeout(7_000);
    assert.equal(await teacher.getByTestId('presence').getAttribute('data-online'), 'true');

    // Her last tab closes: offline soon after, "last seen just now", no dot.
    const context = student.context();
    await student.close();
    const closedAt = Date.now();
    await waitPresence(teacher, false, 15_000);
    const after = Date.now() - closedAt;
    assert.equal(await teacher.getByTestId('presence').innerText(), 'last seen just now');
    assert.match(await teacher.getByTestId('presence').getAttribute('title'), /\d/, 'the exact time as a tooltip');
    assert.equal(await avatar.getAttribute('data-presence'), 'offline');
    assert.equal(await row.locator('.presence-dot').count(), 0);
    assert.ok(after < 12_000, `offline after ${after} ms`);
    await screenshot(teacher, '07b-teacher-sees-student-last-seen');

    // She opens the chat again (signed in by her cookie): online again.
    const back = await openTabIn(context, `${cluster.a.url}/chats/${chatId}`);
    await waitForMessage(back, 'Отправлю ещё раз 🔁');
    await waitConnection(back, 'live');
    await waitPresence(teacher, true, 10_000);
    assert.equal(await avatar.getAttribute('data-presence'), 'online');
    pages.studentClosed = student; // its errors are still checked at the end
    pages.student = back;
  });
}
