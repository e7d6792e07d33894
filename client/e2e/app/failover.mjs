// A part of the app's end-to-end story (app.test.mjs registers the parts in order). A killed
// replica: reconnecting, then live, nothing missed.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  screenshot,
  send,
  shownIds,
  waitConnection,
  waitForMessage,
  waitPresence,
} from './helpers.mjs';
import { chatId, cluster, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('a killed replica: the page shows reconnecting, then live, and misses nothing', async () => {
    const { student, teacher } = pages;
    await teacher.getByTestId(`chat-${chatId}`).click();
    await waitForMessage(teacher, 'Отправлю ещё раз 🔁');
    await waitConnection(teacher, 'live');

    await cluster.b.stop('SIGKILL');
    await waitConnection(teacher, 'reconnecting');
    await screenshot(teacher, '08-teacher-reconnecting');

    const whileDown = ['Пока вас не было — 1 🕐', 'Пока вас не было — 2 🕑', 'Пока вас не было — 3 🕒'];
    const ids = [];
    for (const text of whileDown) ids.push(await send(student, text));

    await cluster.b.start();
    await waitConnection(teacher, 'live');
    for (const [i, text] of whileDown.entries()) assert.deepEqual(await waitForMessage(teacher, text), [ids[i]]);
    // Presence is fetched again after the reconnect (events missed meanwhile are not replayed).
    await waitPresence(teacher, true);
    // Everything the student sees, the teacher sees: same ids, same order, nothing twice.
    assert.deepEqual(await shownIds(teacher), await shownIds(student));
    await screenshot(teacher, '09-teacher-after-reconnect');

    // And the live path works again after the restart.
    const after = await send(teacher, 'Я снова на связи 📶');
    assert.deepEqual(await waitForMessage(student, 'Я снова на связи 📶'), [after]);
  });
}
