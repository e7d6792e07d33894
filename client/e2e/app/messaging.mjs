// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Signing in on
// both replicas, messages crossing them live, a send riding out an unavailable server, the
// composer's rules, the admin reading live and read-only, typing, deleting.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openPage } from '../harness.mjs';
import {
  UNAVAILABLE,
  recordTyping,
  screenshot,
  send,
  signIn,
  waitConnection,
  waitForGone,
  waitForMessage,
  waitNoTyping,
} from './helpers.mjs';
import {
  adminReads,
  adminTyping,
  browser,
  chatId,
  cluster,
  pages,
  sent,
  setChatId,
} from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('signing in: the demo users are listed and the student lands on her chats (replica A)', async () => {
    const page = (pages.student = await openPage(browser, cluster.a.url));
    for (const email of ['maria@demo.school', 'ivan@demo.school', 'alex@demo.school', 'admin@demo.school']) {
      await page.getByTestId(`login-${email}`).waitFor();
    }
    await screenshot(page, '01-sign-in');
    await signIn(page, 'maria@demo.school');
    const item = page.locator('[data-testid^="chat-"]');
    await item.first().waitFor();
    assert.equal(await item.count(), 1);
    assert.match(await item.first().innerText(), /Иван Петров/);
    assert.match(await item.first().innerText(), /Teacher/);
    setChatId(Number((await item.first().getAttribute('data-testid')).slice('chat-'.length)));
    await waitConnection(page, 'live');
  });

  test('the teacher signs in on the other replica (B) and both open the chat with its history', async () => {
    const page = (pages.teacher = await openPage(browser, cluster.b.url));
    await signIn(page, 'ivan@demo.school');
    await waitConnection(page, 'live');
    for (const p of [pages.student, page]) {
      await p.getByTestId(`chat-${chatId}`).click();
      await waitForMessage(p, 'Спасибо, Иван Петрович! Сделаю 👍');
      await waitForMessage(p, 'Здравствуйте, Мария! Домашнее задание на завтра: упражнения 3 и 4 📚');
    }
    assert.equal(new URL(pages.student.url()).pathname, `/chats/${chatId}`);
    // The student's own message is on her side, the teacher's on the other.
    const [own] = await waitForMessage(pages.student, 'Спасибо, Иван Петрович! Сделаю 👍');
    assert.match(await pages.student.getByTestId(`message-${own}`).getAttribute('class'), /\bmine\b/);
  });

  test('messages cross replicas live, exactly once, with Cyrillic, emoji and line breaks', async () => {
    const { student, teacher } = pages;
    // Shift+Enter is a new line; Enter sends.
    const composer = student.getByTestId('composer');
    await composer.fill('Иван Петрович, добрый вечер! 👋');
    await composer.press('Shift+Enter');
    await student.keyboard.insertText('Упражнение 4 решила через производную 📐✨');
    await composer.press('Enter');
    const text = 'Иван Петрович, добрый вечер! 👋\nУпражнение 4 решила через производную 📐✨';
    [sent.first] = await waitForMessage(student, text);
    assert.equal(await composer.inputValue(), '');
    await student.getByTestId('message-pending').waitFor({ state: 'detached' });
    assert.deepEqual(await waitForMessage(teacher, text), [sent.first]);

    sent.reply = await send(teacher, 'Отлично, Мария! Пришлите фото решения 📸');
    assert.deepEqual(await waitForMessage(student, 'Отлично, Мария! Пришлите фото решения 📸'), [sent.reply]);
    assert.match(await student.getByTestId(`message-${sent.reply}`).getAttribute('class'), /\btheirs\b/);

    // Markup is shown as text, never interpreted.
    sent.markup = await send(student, '<b>не жирный</b> & <img src=x onerror=alert(1)>');
    await waitForMessage(teacher, '<b>не жирный</b> & <img src=x onerror=alert(1)>');
    assert.equal(await teacher.locator('.message-list b, .message-list img').count(), 0);

    // The chat list follows: latest message as the preview.
    await student.getByTestId(`chat-${chatId}`).filter({ hasText: '<b>не жирный</b>' }).waitFor();
    await screenshot(student, '02-student-desktop');
    await screenshot(teacher, '03-teacher-desktop');
  });

  test('a send retries by itself while the server is unavailable, stays visible with the reason when refused, and Retry sends it again, all with one key', async () => {
    const { student, teacher } = pages;
    const keys = [];
    const recordKey = (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/api/messages')) {
        keys.push(request.headers()['idempotency-key']);
      }
    };
    student.on('request', recordKey);
    // The first attempt finds the database failing over (503, Retry-After: 1): the client sends it
    // again by itself a second later. That one is refused (429: repeating it at once would not
    // help), so the message stays, with why, until the person retries; the third attempt lands.
    const refusals = [
      { status: 503, headers: { 'retry-after': '1' }, body: UNAVAILABLE },
      {
        status: 429,
        headers: { 'retry-after': '3' },
        body: JSON.stringify({ error: 'too many requests: retry after 3 s', code: 'rate_limited' }),
      },
    ];
    await student.route(
      '**/api/messages',
      (route) => route.fulfill({ contentType: 'application/json', ...refusals.shift() }),
      { times: refusals.length },
    );
    const text = 'Отправлю ещё раз 🔁';
    await student.getByTestId('composer').fill(text);
    await student.getByTestId('send').click();
    const pending = student.getByTestId('message-pending');
    await pending.filter({ hasText: 'Not sent. Too many requests. Wait a moment and try again.' }).waitFor();
    assert.equal(keys.length, 2, `the 503 was retried by itself, once: ${keys}`);
    assert.equal(await pending.locator('.text').innerText(), text);
    await screenshot(student, '04-send-failed');
    await pending.getByTestId('retry').click();
    [sent.retried] = await waitForMessage(student, text);
    await pending.waitFor({ state: 'detached' });
    student.off('request', recordKey);
    // One key per message, the same on every attempt: had an attempt reached the server and only
    // its answer been lost, the server would answer the next with that message.
    assert.equal(keys.length, 3, `three attempts: ${keys}`);
    assert.match(keys[0], /^[\x21-\x7e]{1,64}$/);
    assert.deepEqual(new Set(keys).size, 1, `every attempt carries the first one's Idempotency-Key: ${keys}`);
    assert.deepEqual(await waitForMessage(teacher, text), [sent.retried]);
  });

  test('blank and over-long input cannot be sent; the counter counts code points', async () => {
    const { student } = pages;
    const composer = student.getByTestId('composer');
    const sendButton = student.getByTestId('send');
    await composer.fill('   \n  ');
    assert.equal(await sendButton.isDisabled(), true);
    await composer.press('Enter');
    assert.equal(await student.getByTestId('message-pending').count(), 0);

    await composer.fill('😀'.repeat(9_000)); // 18,000 UTF-16 units, 9,000 code points
    assert.equal(await student.getByTestId('counter').innerText(), '9,000 / 10,000');
    assert.equal(await sendButton.isDisabled(), false);
    await composer.fill('я'.repeat(10_001));
    assert.equal(await student.getByTestId('counter').innerText(), '10,001 / 10,000');
    assert.equal(await sendButton.isDisabled(), true);
    await composer.press('Enter');
    assert.equal(await student.getByTestId('message-pending').count(), 0);
    await composer.fill('');
    assert.equal(await student.getByTestId('counter').count(), 0);
  });

  test('the admin reads the conversation live and read-only', async () => {
    const page = (pages.admin = await openPage(browser, cluster.a.url));
    page.on('request', (request) => {
      if (request.method() === 'POST' && /\/read$/.test(new URL(request.url()).pathname)) adminReads.push(request.url());
      if (request.method() === 'POST' && /\/typing$/.test(new URL(request.url()).pathname)) adminTyping.push(request.url());
    });
    await signIn(page, 'admin@demo.school');
    const item = page.getByTestId(`chat-${chatId}`);
    await item.waitFor();
    assert.match(await item.innerText(), /Мария Иванова · Иван Петров/);
    assert.match(await item.innerText(), /6 messages/);
    await item.click();
    assert.deepEqual(await waitForMessage(page, 'Отлично, Мария! Пришлите фото решения 📸'), [sent.reply]);
    await waitForMessage(page, 'Иван Петрович, добрый вечер! 👋\nУпражнение 4 решила через производную 📐✨');
    await page.getByTestId('read-only').waitFor();
    assert.equal(await page.getByTestId('composer').count(), 0);
    assert.equal(await page.getByTestId('send').count(), 0);
    assert.equal(await page.locator('[data-testid^="delete-"]').count(), 0);
    await waitConnection(page, 'live');
    // Live for the admin too.
    const id = (sent.greeting = await send(pages.teacher, 'Ольга, добрый день! 🙂'));
    assert.deepEqual(await waitForMessage(page, 'Ольга, добрый день! 🙂'), [id]);
    await item.filter({ hasText: '7 messages' }).waitFor();
    await screenshot(page, '05-admin-read-only');
  });

  test('typing: the teacher (B) sees "typing…" while the student writes (A), the admin never; it goes when she sends, blurs or stops', async () => {
    const { student, teacher, admin } = pages;
    const requests = recordTyping(student);
    const composer = student.getByTestId('composer');
    const header = teacher.getByTestId('typing');
    const row = teacher.getByTestId(`typing-${chatId}`);

    // She types a question, a key every 150 ms; he sees it in the conversation and in the list.
    const text = 'Иван Петрович, можно вопрос?';
    await composer.click();
    const typed = composer.pressSequentially(text, { delay: 150 });
    await header.filter({ hasText: 'Мария Иванова is typing…' }).waitFor();
    await row.filter({ hasText: 'typing…' }).waitFor();
    assert.equal(await teacher.getByTestId(`chat-${chatId}`).locator('.chat-item-preview').innerText(), 'typing…');
    await typed;
    assert.equal(await header.getAttribute('role'), 'status', 'announced to screen readers');
    await screenshot(teacher, '05b-teacher-sees-typing');
    // The admin reads the same chat and sees nothing of it.
    assert.equal(await admin.getByTestId('typing').innerText(), '');
    assert.equal(await admin.getByTestId(`typing-${chatId}`).count(), 0);

    // Throttled: one `true` and a renewal every 2.5 s, not one per keystroke.
    const trues = requests.filter((r) => r.isTyping);
    assert.ok(trues.length >= 1 && trues.length <= 3, `${trues.length} true for ${[...text].length} keystrokes`);
    for (let i = 1; i < trues.length; i++) {
      assert.ok(trues[i].at - trues[i - 1].at >= 2_000, `renewed after ${trues[i].at - trues[i - 1].at} ms`);
    }

    // She sends it: the indicator goes with the message's arrival (long before it would expire).
    await composer.press('Enter');
    const [question] = await waitForMessage(teacher, text);
    await waitNoTyping(teacher, chatId, 2_000);
    await teacher.getByTestId(`chat-${chatId}`).filter({ hasText: text }).waitFor();
    sent.typed = question;

    // She starts again and leaves the composer: gone at once (a `false`).
    await composer.pressSequentially('А ещё', { delay: 50 });
    await header.filter({ hasText: 'is typing…' }).waitFor();
    const blurredAt = Date.now();
    await composer.blur();
    await waitNoTyping(teacher, chatId, 3_000);
    assert.ok(requests.some((r) => !r.isTyping && r.at >= blurredAt), 'a false after the blur');

    // Back in the composer, one more key, then nothing: after a few idle seconds, a `false`.
    await composer.focus();
    await composer.press('End');
    await composer.pressSequentially('!');
    const lastKeyAt = Date.now();
    await header.filter({ hasText: 'is typing…' }).waitFor();
    await waitNoTyping(teacher, chatId, 10_000);
    assert.ok(requests.some((r) => !r.isTyping && r.at >= lastKeyAt + 3_000), 'a false after being idle');
    await composer.fill('');
    requests.stop();
    assert.deepEqual(adminTyping, []);
  });

  test('the student deletes her message after confirming; it disappears for everyone', async () => {
    const { student, teacher, admin } = pages;
    const message = student.getByTestId(`message-${sent.markup}`);
    await message.hover();
    await student.getByTestId(`delete-${sent.markup}`).click();
    await student.getByTestId('cancel-delete').click(); // changing one's mind keeps it
    assert.equal(await message.count(), 1);
    await message.hover();
    await student.getByTestId(`delete-${sent.markup}`).click();
    await student.getByTestId('confirm-delete').click();
    await waitForGone(student, sent.markup);
    await waitForGone(teacher, sent.markup);
    await waitForGone(admin, sent.markup);
    // Only the author gets a delete button.
    assert.equal(await teacher.getByTestId(`delete-${sent.first}`).count(), 0);
    assert.equal(await teacher.getByTestId(`delete-${sent.reply}`).count(), 1);
  });
}
