// A part of the app's end-to-end story (app.test.mjs registers the parts in order). On a phone:
// unread badges counting up, older pages loading on scrolling up.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SAVED, api, screenshot, shownIds, waitForMessage } from './helpers.mjs';
import { alexChat, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('on a phone: unread badges count up, older pages load on scrolling up', async () => {
    const page = pages.alex;
    const item = page.getByTestId(`chat-${alexChat}`);

    // 120 messages from Иван: Alex's badge counts them as they arrive.
    const total = 120;
    for (let n = 1; n <= total; n++) {
      const answer = await api(pages.teacher, 'POST', '/api/messages', { chat_id: alexChat, content: `Задание ${n} ✏️` });
      assert.equal(answer.status, 201);
    }
    await page.getByTestId(`unread-${alexChat}`).filter({ hasText: '99+' }).waitFor();
    await item.filter({ hasText: `Задание ${total} ✏️` }).waitFor();
    await screenshot(page, '06-phone-list');
    // Every control of the top bar fits the phone's width ("Sign out" last of them).
    const width = page.viewportSize().width;
    for (const name of ['Who read my chats', 'Sign out']) {
      const box = await page.getByRole('button', { name, exact: true }).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${name} is outside the screen: ${JSON.stringify(box)}`);
    }

    // Opening it: the list gives way to the conversation, the last 50 are shown at the bottom.
    await item.click();
    await waitForMessage(page, `Задание ${total} ✏️`);
    assert.equal(await page.locator('nav[aria-label="Chats"]').isVisible(), false);
    assert.equal(await page.getByTestId(`unread-${alexChat}`).count(), 0);
    assert.equal(await page.locator(SAVED).count(), 50);
    const scroller = page.locator('.messages');
    const atBottom = () => scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2);
    assert.equal(await atBottom(), true);

    // Scrolling to the top loads the next page above, and what was on screen stays put.
    const firstBefore = (await shownIds(page))[0];
    // Measured in the same task as the scroll, before the older page can arrive.
    const offsetBefore = await scroller.evaluate((el, id) => {
      el.scrollTo({ top: 0 });
      const message = document.querySelector(`[data-testid="message-${id}"]`);
      return message.getBoundingClientRect().top - el.getBoundingClientRect().top;
    }, firstBefore);
    await page.waitForFunction((selector) => document.querySelectorAll(selector).length === 100, SAVED);
    const offsetAfter = await scroller.evaluate((el, id) => {
      const message = document.querySelector(`[data-testid="message-${id}"]`);
      return message.getBoundingClientRect().top - el.getBoundingClientRect().top;
    }, firstBefore);
    assert.ok(Math.abs(offsetAfter - offsetBefore) < 4, `the message that was first stays put (${offsetBefore} → ${offsetAfter})`);
    assert.ok((await scroller.evaluate((el) => el.scrollTop)) > 0);

    await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
    await page.waitForFunction(({ selector, total }) => document.querySelectorAll(selector).length === total, {
      selector: SAVED,
      total,
    });
    await page.getByText('Beginning of the conversation').waitFor();
    const ids = await shownIds(page);
    assert.equal(new Set(ids).size, total, 'no duplicates');
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => x - y),
      'ordered by id',
    );
    const texts = await page.locator(`${SAVED} .text`).allInnerTexts();
    assert.deepEqual(
      texts,
      Array.from({ length: total }, (_, i) => `Задание ${i + 1} ✏️`),
    );

    // Scrolled up, a new message does not yank the view: a pill offers to jump down.
    await api(pages.teacher, 'POST', '/api/messages', { chat_id: alexChat, content: 'Проверьте последнее 👇' });
    await page.getByTestId('new-messages').filter({ hasText: '1 new message' }).waitFor();
    assert.equal(await atBottom(), false);
    await page.getByTestId('new-messages').click();
    await page.waitForFunction(
      () => {
        const el = document.querySelector('.messages');
        return el.scrollHeight - el.scrollTop - el.clientHeight < 2;
      },
    );
    await page.getByTestId('new-messages').waitFor({ state: 'detached' });
    await screenshot(page, '07-phone-conversation');

    // Back to the list.
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await item.waitFor();
  });
}
