// A part of the app's end-to-end story (app.test.mjs registers the parts in order). In Russian: a
// ru-RU browser, plurals, the RU/EN switch.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DESKTOP, openPage } from '../harness.mjs';
import {
  api,
  badgeCount,
  screenshot,
  waitConnection,
  waitForMessage,
  waitTitle,
  waitUnreadCount,
} from './helpers.mjs';
import { alexChat, browser, cluster, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('in Russian: a ru-RU browser gets Russian, plurals agree, and the RU/EN switch changes it and is remembered', async () => {
    const page = (pages.russian = await openPage(browser, cluster.a.url, { ...DESKTOP, locale: 'ru-RU' }));
    await page.getByRole('heading', { name: 'Вход' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ru');
    assert.match(await page.getByTestId('login-ivan@demo.school').innerText(), /Преподаватель/);
    assert.match(await page.getByTestId('login-maria@demo.school').innerText(), /Ученик/);
    assert.match(await page.getByTestId('login-admin@demo.school').innerText(), /Администратор/);
    assert.equal(await page.getByTestId('lang-ru').getAttribute('aria-pressed'), 'true');
    await screenshot(page, '08a-ru-sign-in');
    // The switch works on the sign-in page too.
    await page.getByTestId('lang-en').click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(await page.getByTestId('login-ivan@demo.school').innerText(), /Teacher/);
    await page.getByTestId('lang-ru').click();
    await page.getByRole('heading', { name: 'Вход' }).waitFor();

    // Alex (who has read everything) in a Russian browser; Иван writes him, the badge agrees in number.
    await page.getByTestId('login-alex@demo.school').click();
    await page.locator('nav[aria-label="Чаты"]').waitFor();
    await waitConnection(page, 'live');
    assert.equal(await page.getByTestId('connection').innerText(), 'в сети');
    await waitUnreadCount(page, 0);
    const badge = page.getByTestId(`unread-${alexChat}`);
    const forms = [
      [1, '1 непрочитанное сообщение'],
      [2, '2 непрочитанных сообщения'],
      [5, '5 непрочитанных сообщений'],
    ];
    let written = 0;
    for (const [count, label] of forms) {
      for (; written < count; written++) {
        const content = `Урок ${written + 1} 📘`;
        const answer = await api(pages.teacher, 'POST', '/api/messages', { chat_id: alexChat, content });
        assert.equal(answer.status, 201);
      }
      await badge.filter({ hasText: label }).waitFor();
      assert.equal(await badge.getAttribute('title'), label);
    }
    await waitTitle(page, '(5) Tutorchat');
    await waitUnreadCount(page, 5);
    assert.equal(await badgeCount(page, alexChat), 5);
    assert.match(await page.getByTestId(`chat-${alexChat}`).innerText(), /Преподаватель/);
    await page.getByRole('button', { name: 'Выйти' }).waitFor();
    await screenshot(page, '08b-ru-unread');

    // To English at once, and it stays English after a reload.
    await page.getByTestId('lang-en').click();
    await badge.filter({ hasText: '5 unread messages' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.getByTestId('connection').innerText(), 'live');
    await page.reload();
    await badge.filter({ hasText: '5 unread messages' }).waitFor();
    assert.equal(await badgeCount(page, alexChat), 5);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');

    // Opening the chat in Russian: days, the pill and the composer speak Russian; reading clears the badge.
    await page.getByTestId('lang-ru').click();
    await page.getByTestId(`chat-${alexChat}`).click();
    await waitForMessage(page, 'Урок 5 📘');
    await page.getByTestId('composer').and(page.getByPlaceholder('Напишите сообщение…')).waitFor();
    await page.locator('.day-separator').filter({ hasText: 'Сегодня' }).first().waitFor();
    await page.getByTestId('presence').filter({ hasText: /^в сети$/ }).waitFor();
    await badge.waitFor({ state: 'detached' });
    await waitUnreadCount(page, 0);
    await waitTitle(page, 'Tutorchat');
    await screenshot(page, '08c-ru-conversation');
  });
}
