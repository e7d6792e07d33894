// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Inquiries: a
// teacher's link, a visitor without an account, talking live, closed when idle, revoked; a refusal
// said in Russian from its code.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DESKTOP, openPage } from '../harness.mjs';
import { api, screenshot, send, waitConnection, waitForMessage, waitRow } from './helpers.mjs';
import { browser, chatId, cluster, groupId, ids, inquiry, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('inquiries: the teacher (B) creates a link; a visitor with no account opens it in a private window (A), gives a name and a question, and they talk live both ways', async () => {
    const { teacher, admin } = pages;
    await teacher.getByTestId('inquiry-links').click();
    const dialog = teacher.getByTestId('inquiry-links-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('create-inquiry-link').isDisabled(), true, 'a title first');
    await dialog.getByTestId('inquiry-title').fill('Пробное занятие по алгебре');
    await dialog.getByTestId('inquiry-course').fill('ЕГЭ математика');
    await dialog.getByTestId('create-inquiry-link').click();
    const link = dialog.locator('[data-testid^="inquiry-link-"]').filter({ hasText: 'Пробное занятие по алгебре' });
    await link.waitFor();
    inquiry.linkId = Number((await link.getAttribute('data-testid')).slice('inquiry-link-'.length));
    // The full address, to copy: this site's origin and the link's path.
    const url = await dialog.getByTestId(`inquiry-url-${inquiry.linkId}`).inputValue();
    assert.match(url, new RegExp(`^${cluster.b.url}/inquiry/[A-Za-z0-9]{32}$`));
    inquiry.path = new URL(url).pathname;
    const listed = await api(teacher, 'GET', '/api/inquiry-links');
    const saved = listed.body.links.find((l) => l.id === inquiry.linkId);
    assert.deepEqual(saved.context, { type: 'course', title: 'ЕГЭ математика' });
    assert.equal(saved.host_id, ids.ivan);
    await screenshot(teacher, '13a-inquiry-links');
    await dialog.getByTestId('close-inquiry-links').click();
    await dialog.waitFor({ state: 'detached' });

    // A private window: a browser context of its own, with no cookie at all, on the other replica.
    const guest = (pages.guest = await openPage(browser, cluster.a.url, DESKTOP, inquiry.path));
    // Everything her page asks the API, and what was refused (as forbidden, or as not hers to see).
    const requested = new Set();
    const forbidden = [];
    guest.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/api/')) requested.add(`${request.method()} ${pathname.replace(/\/\d+/g, '/N')}`);
    });
    guest.on('response', (response) => {
      if ([403, 404].includes(response.status())) forbidden.push(new URL(response.url()).pathname);
    });
    await guest.getByTestId('inquiry-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
    assert.deepEqual(await guest.context().cookies(), [], 'no session of any kind');
    assert.match(await guest.getByTestId('inquiry-host').innerText(), /Иван Петров/);
    await guest.getByText('Course: ЕГЭ математика').waitFor();
    // A name and a question, both: the question opens the chat as its first message.
    const start = guest.getByTestId('start-inquiry');
    assert.equal(await start.isDisabled(), true, 'a name and a question first');
    await guest.getByTestId('guest-name').fill('Ольга Смирнова');
    assert.equal(await start.isDisabled(), true, 'a question too');
    await guest.getByTestId('guest-question').fill('  \n ');
    assert.equal(await start.isDisabled(), true, 'a blank question is none');
    await guest.getByTestId('guest-question').fill('я'.repeat(10_001));
    await guest.getByTestId('guest-question-too-long').filter({ hasText: 'at most 10,000 characters' }).waitFor();
    assert.equal(await start.isDisabled(), true, 'a question is a message: 10,000 characters at most');
    const question = 'Здравствуйте! Можно записаться на пробный урок? 🙂';
    await guest.getByTestId('guest-question').fill(question);
    assert.equal(await start.isDisabled(), false);
    await screenshot(guest, '13b-inquiry-page');
    await start.click();

    // Her one conversation opens, titled with the inquiry and the teacher.
    await guest.getByTestId('guest-workspace').waitFor();
    await guest.getByTestId('conversation-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
    await guest.locator('.conversation-subtitle').filter({ hasText: 'Иван Петров · Teacher' }).waitFor();
    assert.equal(await guest.locator('nav[aria-label="Chats"]').count(), 0, 'no chat list');
    const cookies = await guest.context().cookies();
    assert.deepEqual(cookies.map((c) => [c.name, c.httpOnly]), [['tutorchat_guest', true]]);
    await waitConnection(guest, 'live');
    const me = await api(guest, 'GET', '/api/me');
    assert.equal(me.body.user.role, 'guest');
    ids.guest = me.body.user.id;
    const own = await api(guest, 'GET', '/api/chats');
    assert.equal(own.body.chats.length, 1);
    assert.equal(own.body.chats[0].kind, 'inquiry');
    assert.equal(own.body.chats[0].participant.id, ids.ivan);
    inquiry.chatId = own.body.chats[0].id;
    // Her question is the chat's first message, hers, on her page from the start.
    const [asked] = await waitForMessage(guest, question);
    const history = await api(guest, 'GET', `/api/chats/${inquiry.chatId}/messages`);
    assert.deepEqual(history.body.messages.map((m) => [m.id, m.sender_id, m.content]), [[asked, ids.guest, question]]);

    // The teacher's list shows it live, in the course's section, with its title, a guest badge and her name; the admin's too.
    const row = teacher.getByTestId(`chat-${inquiry.chatId}`);
    await row.filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
    assert.equal(await row.getAttribute('data-kind'), 'inquiry');
    assert.equal(await teacher.getByTestId(`badge-${inquiry.chatId}`).innerText(), 'Guest');
    assert.match(await teacher.getByTestId(`who-${inquiry.chatId}`).innerText(), /Ольга Смирнова/);
    await teacher.getByTestId('section-course:12').getByTestId(`chat-${inquiry.chatId}`).waitFor();
    await waitRow(admin, inquiry.chatId, 'Пробное занятие по алгебре');
    // Both names (in the order of whichever came last: the event names the teacher first, the admin list the guest).
    const adminRow = await admin.getByTestId(`chat-${inquiry.chatId}`).innerText();
    assert.match(adminRow, /Иван Петров · Ольга Смирнова|Ольга Смирнова · Иван Петров/);

    // They talk, live both ways, across the replicas.
    await row.filter({ hasText: question }).waitFor();
    await row.click();
    await teacher.getByTestId('conversation-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
    await teacher.getByTestId(`person-${ids.guest}`).filter({ hasText: 'Ольга Смирнова · Guest' }).waitFor();
    assert.deepEqual(await waitForMessage(teacher, question), [asked]);
    const answer = 'Здравствуйте, Ольга! Конечно, в субботу в 11:00 📅';
    const answered = await send(teacher, answer);
    assert.deepEqual(await waitForMessage(guest, answer), [answered]);
    await guest.getByTestId('composer').pressSequentially('Отлично', { delay: 100 });
    await teacher.getByTestId('typing').filter({ hasText: 'Ольга Смирнова is typing…' }).waitFor();
    await guest.getByTestId('composer').press('Enter');
    const [thanks] = await waitForMessage(teacher, 'Отлично');
    assert.deepEqual(await waitForMessage(guest, 'Отлично'), [thanks]);
    // He has read hers (his chat is open): ✓✓ on her side.
    await guest.locator(`[data-testid="ticks-${asked}"][data-read="true"]`).waitFor();
    await screenshot(guest, '13c-guest-chat');
    await screenshot(teacher, '13d-teacher-inquiry');

    // A reload keeps her in her chat (her cookie), with its history.
    await guest.reload();
    await guest.getByTestId('conversation-title').filter({ hasText: 'Пробное занятие по алгебре' }).waitFor();
    assert.deepEqual(await waitForMessage(guest, answer), [answered]);
    await waitConnection(guest, 'live');

    // Her page asked for nothing but what a guest may use (no unread count, presence or user
    // list), nothing was refused, and the server refuses her everything else.
    const allowed = new Set([
      'GET /api/me',
      'GET /api/chats',
      'GET /api/chats/N',
      'GET /api/chats/N/messages',
      'GET /api/chats/N/pins',
      'GET /api/events/chat',
      'POST /api/chats/N/read',
      'POST /api/chats/N/typing',
      'POST /api/messages',
    ]);
    const unexpected = [...requested].filter((r) => !allowed.has(r) && !r.startsWith('GET /api/inquiry/') && !r.startsWith('POST /api/inquiry/'));
    assert.deepEqual(unexpected, []);
    assert.deepEqual(forbidden, []);
    for (const path of ['/api/unread-count', `/api/presence/${ids.ivan}`, '/api/inquiry-links', '/api/admin/chats']) {
      assert.equal((await api(guest, 'GET', path)).status, 403, path);
    }
    // Other chats are not hers to see: as if they did not exist.
    for (const path of [`/api/chats/${chatId}/messages`, `/api/chats/${groupId}`]) {
      assert.equal((await api(guest, 'GET', path)).status, 403, path);
    }
    const status = await guest.evaluate(async () => (await fetch('/api/unread-count')).status);
    assert.equal(status, 403);
  });

  test("inquiries: an idle inquiry is closed by the server, live: the teacher still reads it, and the guest's visit ends with it, in her language", async () => {
    const { teacher, guest } = pages;
    await guest.getByTestId('lang-ru').click();
    await guest.getByTestId('composer').and(guest.getByPlaceholder('Напишите сообщение…')).waitFor();
    const text = 'А можно взять с собой учебник?';
    const id = await send(guest, text);
    assert.deepEqual(await waitForMessage(teacher, text), [id]);
    // What her page asks from the moment the chat closes.
    const asked = [];
    const record = (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/api/')) asked.push(`${request.method()} ${pathname.replace(/\/\d+/g, '/N')}`);
    };
    // A replica that closes the inquiries idle for 2 s (any replica may: the log makes it once).
    const closer = await cluster.addReplica('replica-closer', { INQUIRY_IDLE_SECS: '2' });
    try {
      await guest.getByTestId('guest-ended').filter({ hasText: 'Этот разговор закрыт' }).waitFor({ timeout: 20_000 });
      guest.on('request', record);
      await teacher.getByTestId('chat-closed').filter({ hasText: 'This inquiry is closed' }).waitFor({ timeout: 20_000 });
    } finally {
      await closer.stop();
    }
    // Hers: the conversation stays on screen, closed, without a composer; her stream ended for good.
    assert.equal(await guest.getByTestId('guest-ended').getAttribute('data-reason'), 'closed');
    assert.match(await guest.getByTestId('guest-ended').innerText(), /откройте ссылку ещё раз/);
    await waitForMessage(guest, text);
    await waitConnection(guest, 'ended');
    for (const page of [guest, teacher]) {
      assert.equal(await page.getByTestId('composer').count(), 0);
      assert.equal(await page.locator('[data-testid^="reply-"], [data-testid^="edit-"]').count(), 0);
    }
    await teacher.getByTestId(`closed-${inquiry.chatId}`).waitFor();
    assert.equal(await teacher.getByTestId(`chat-${inquiry.chatId}`).getAttribute('data-closed'), 'true');
    await screenshot(guest, '13f-guest-closed-ru');
    await screenshot(teacher, '13g-teacher-closed');

    // The server has ended her session: every request of hers is refused, and her page asks
    // nothing more (no reconnecting stream, no loop on the 401): well past SSE_RETRY_MS.
    await guest.waitForTimeout(2_500);
    guest.off('request', record);
    assert.deepEqual(asked.filter((r) => r === 'GET /api/events/chat' || r === 'GET /api/me'), [], `asked: ${asked}`);
    const ended = { error: 'this guest session has ended: the inquiry chat is closed', code: 'guest_session_ended' };
    const me = await api(guest, 'GET', '/api/me');
    assert.deepEqual([me.status, me.body.error, me.body.code], [401, ended.error, ended.code]);
    const refused = await api(guest, 'POST', '/api/messages', { chat_id: inquiry.chatId, content: 'Вы ещё здесь?' });
    assert.deepEqual([refused.status, refused.body.code], [401, ended.code]);

    // The teacher still reads it all, and it says when it closed; writing is refused.
    const history = await api(teacher, 'GET', `/api/chats/${inquiry.chatId}/messages`);
    assert.equal(history.status, 200);
    assert.ok(history.body.messages.some((m) => m.id === id));
    const listed = (await api(teacher, 'GET', '/api/chats?limit=500')).body.chats.find((c) => c.id === inquiry.chatId);
    assert.match(listed.closed_at, /^\d{4}-/);
    const late = await api(teacher, 'POST', '/api/messages', { chat_id: inquiry.chatId, content: 'Ольга, вы тут?' });
    assert.equal(late.status, 409);
    await teacher.reload();
    await teacher.getByTestId('chat-closed').waitFor();
    await waitForMessage(teacher, text);

    // A reload of hers says the same, in her language, instead of a broken page; asked once.
    guest.on('request', record);
    asked.length = 0;
    await guest.reload();
    await guest.getByTestId('guest-ended').filter({ hasText: 'Этот разговор закрыт' }).waitFor();
    await guest.waitForTimeout(1_500);
    guest.off('request', record);
    assert.deepEqual(asked, ['GET /api/me']);
    assert.equal(await guest.getByTestId('guest-workspace').count(), 0);
    await screenshot(guest, '13h-guest-ended-reload');
    // "Начать заново": the link's page, to ask something new (the link still works).
    await guest.getByTestId('start-again').click();
    await guest.getByTestId('guest-question').waitFor();
    assert.equal(await guest.getByTestId('guest-name').inputValue(), '');
  });

  test("inquiries: revoking a link closes the chats it opened, live, ending their guests' visits; it opens no new chat", async () => {
    const { teacher } = pages;
    // Another visitor, on B, opens a chat with the link.
    const visitor = (pages.secondGuest = await openPage(browser, cluster.b.url, DESKTOP, inquiry.path));
    await visitor.getByTestId('guest-name').fill('Пётр Соколов');
    const question = 'Есть ли занятия по вечерам?';
    await visitor.getByTestId('guest-question').fill(question);
    await visitor.getByTestId('start-inquiry').click();
    await visitor.getByTestId('guest-workspace').waitFor();
    await waitForMessage(visitor, question);
    await waitConnection(visitor, 'live');
    inquiry.secondChatId = (await api(visitor, 'GET', '/api/chats')).body.chats[0].id;
    await waitRow(teacher, inquiry.secondChatId, question);

    await teacher.getByTestId('inquiry-links').click();
    const dialog = teacher.getByTestId('inquiry-links-dialog');
    await dialog.getByText('the chats it opened are closed').waitFor();
    await dialog.getByTestId(`revoke-inquiry-${inquiry.linkId}`).click();
    await dialog.locator(`[data-testid="inquiry-link-${inquiry.linkId}"][data-revoked="true"]`).waitFor();
    assert.equal(await dialog.getByTestId(`inquiry-url-${inquiry.linkId}`).count(), 0);
    await dialog.getByTestId('close-inquiry-links').click();
    await dialog.waitFor({ state: 'detached' });

    // His chat closes at once: his visit ends, what he wrote stays on screen.
    const ended = visitor.getByTestId('guest-ended');
    await ended.filter({ hasText: 'This conversation is closed. To ask something new, open the link again.' }).waitFor();
    await waitConnection(visitor, 'ended');
    await waitForMessage(visitor, question);
    assert.equal(await visitor.getByTestId('composer').count(), 0);
    assert.equal((await api(visitor, 'GET', '/api/chats')).status, 401);
    await screenshot(visitor, '13e-guest-revoked');
    // The teacher sees it closed in his list, and reads it.
    await teacher.getByTestId(`closed-${inquiry.secondChatId}`).waitFor();
    await teacher.getByTestId(`chat-${inquiry.secondChatId}`).click();
    await teacher.getByTestId('chat-closed').waitFor();
    await waitForMessage(teacher, question);

    // A new visitor is told that the link does not work.
    const late = (pages.lateVisitor = await openPage(browser, cluster.b.url, DESKTOP, inquiry.path));
    await late.getByTestId('inquiry-missing').filter({ hasText: 'does not exist or has been revoked' }).waitFor();
    assert.equal(await late.getByTestId('guest-name').count(), 0);
    await screenshot(late, '13i-inquiry-revoked');
  });

  test("in Russian: the server's refusal is said in Russian from its code, never in its English words", async () => {
    const { teacher } = pages;
    // A link of Иван's, and a replica that lets one address open one inquiry a minute.
    const link = await api(teacher, 'POST', '/api/inquiry-links', { title: 'Консультация перед экзаменом' });
    assert.equal(link.status, 201);
    const limited = await cluster.addReplica('replica-limited', { RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN: '1' });
    try {
      // A first visitor from this address (the test's own, 127.0.0.1) opens a chat.
      const first = await openPage(browser, limited.url, DESKTOP, link.body.url);
      const opened = await api(first, 'POST', `/api/inquiry/${link.body.token}`, { name: 'Гость', message: 'Вы работаете летом?' });
      assert.equal(opened.status, 201);
      await first.context().close();

      // A second, in a Russian browser, is refused (429 `rate_limited`), and told so in Russian.
      const visitor = (pages.limitedVisitor = await openPage(browser, limited.url, { ...DESKTOP, locale: 'ru-RU' }, link.body.url));
      // Kept as they arrive (their bodies are read below): the page shows the refusal only after
      // its response came, so reading the body here would race the page.
      const refused = [];
      visitor.on('response', (response) => {
        if (response.request().method() === 'POST' && response.status() >= 400) refused.push(response);
      });
      await visitor.getByTestId('guest-name').fill('Анна Кузнецова');
      await visitor.getByTestId('guest-question').fill('Можно прийти на консультацию в субботу?');
      await visitor.getByTestId('start-inquiry').click();
      const error = visitor.getByTestId('inquiry-error');
      await error.filter({ hasText: 'Слишком много запросов. Подождите немного и попробуйте снова.' }).waitFor();
      assert.equal(refused.length, 1);
      const refusals = await Promise.all(refused.map((response) => response.json()));
      assert.equal(refusals[0].code, 'rate_limited');
      assert.ok(refusals[0].error.length > 0, 'the server gave its English sentence');
      const page = await visitor.locator('body').innerText();
      assert.ok(!page.includes(refusals[0].error), `the English sentence is not shown: ${refusals[0].error}`);
      assert.equal(await visitor.getByTestId('start-inquiry').isDisabled(), false, 'she may try again later');
      await screenshot(visitor, '13j-inquiry-refused-ru');
      await visitor.context().close();
    } finally {
      await limited.stop();
      await api(teacher, 'DELETE', `/api/inquiry-links/${link.body.id}`);
    }
  });
}
