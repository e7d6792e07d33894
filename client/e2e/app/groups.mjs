// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Groups:
// created, messages with their senders named, a member removed, renamed, left; the inbox by
// context, and its search.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  api,
  myId,
  screenshot,
  send,
  senderShown,
  shownIds,
  waitForMessage,
  waitRow,
} from './helpers.mjs';
import { alexChat, chatId, groupId, ids, pages, sent, setGroupId } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test('groups: the teacher (B) creates a group of three; it appears live for both students (A) and messages cross replicas with their senders named', async () => {
    const { student: maria, russian: alex, teacher, admin } = pages;
    ids.maria = await myId(maria);
    ids.alex = await myId(alex);
    ids.ivan = await myId(teacher);
    // Only teachers and admins create groups.
    assert.equal(await maria.getByTestId('new-group').count(), 0);

    await teacher.getByTestId('new-group').click();
    const dialog = teacher.getByTestId('new-group-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('pick-ivan@demo.school').count(), 0, 'not oneself');
    assert.equal(await dialog.getByTestId('pick-admin@demo.school').count(), 0, 'admins are nobody’s members');
    assert.equal(await dialog.getByTestId('create-group').isDisabled(), true, 'a title first');
    await dialog.getByTestId('group-title').fill('Алгебра, 9 класс 📐');
    await dialog.getByTestId('pick-maria@demo.school').check();
    await dialog.getByTestId('pick-alex@demo.school').check();
    await screenshot(teacher, '10a-new-group');
    await dialog.getByTestId('create-group').click();
    await dialog.waitFor({ state: 'detached' });
    // The new group opens at once.
    await teacher.waitForFunction(() => /^\/chats\/\d+$/.test(location.pathname));
    setGroupId(Number(new URL(teacher.url()).pathname.split('/')[2]));
    assert.notEqual(groupId, chatId);
    await teacher.getByTestId('conversation-title').filter({ hasText: 'Алгебра, 9 класс 📐' }).waitFor();
    await teacher.getByTestId('member-count').filter({ hasText: '3 members' }).waitFor();
    await waitRow(teacher, groupId, '3 members');

    // Both students see it arrive in their lists (Alex's page speaks Russian), and so does the admin.
    await waitRow(maria, groupId, 'Алгебра, 9 класс 📐');
    await waitRow(maria, groupId, '3 members');
    await waitRow(alex, groupId, '3 участника');
    await waitRow(admin, groupId, '3 members');
    assert.equal(await maria.getByTestId(`chat-${groupId}`).getAttribute('data-kind'), 'group');
    await maria.getByTestId(`chat-${groupId}`).click();
    await alex.getByTestId(`chat-${groupId}`).click();
    for (const page of [maria, alex]) await page.getByTestId('conversation-title').filter({ hasText: 'Алгебра' }).waitFor();
    await maria.getByTestId('member-count').filter({ hasText: '3 members' }).waitFor();
    await alex.getByTestId('member-count').filter({ hasText: '3 участника' }).waitFor();

    // Messages cross replicas, each once, with the sender's name above the messages of others.
    sent.group = await send(teacher, 'Всем привет! Контрольная в пятницу 📝');
    for (const page of [maria, alex]) {
      assert.deepEqual(await waitForMessage(page, 'Всем привет! Контрольная в пятницу 📝'), [sent.group]);
      assert.equal(await senderShown(page, sent.group), 'Иван Петров');
    }
    assert.equal(await senderShown(teacher, sent.group), '', 'not above our own');
    const fromMaria = await send(maria, 'Поняла, спасибо! 🙏');
    const fromAlex = await send(alex, 'Ок 👍');
    for (const page of [teacher, alex]) assert.deepEqual(await waitForMessage(page, 'Поняла, спасибо! 🙏'), [fromMaria]);
    for (const page of [teacher, maria]) assert.deepEqual(await waitForMessage(page, 'Ок 👍'), [fromAlex]);
    assert.equal(await senderShown(teacher, fromMaria), 'Мария Иванова');
    assert.equal(await senderShown(teacher, fromAlex), 'Alex Kim');
    assert.equal(await senderShown(maria, fromAlex), 'Alex Kim');
    assert.equal(await senderShown(alex, fromMaria), 'Мария Иванова');
    assert.equal(await teacher.getByTestId(`message-${fromAlex}`).locator('.message-avatar .avatar').innerText(), 'AK');
    // The list says who wrote last.
    await waitRow(teacher, groupId, 'Alex Kim: Ок 👍');
    await waitRow(alex, groupId, 'Вы: Ок 👍');

    // Two of them type at once: the teacher sees both named.
    const typing = [maria, alex].map((page) => page.getByTestId('composer').pressSequentially('Вопрос про задачу', { delay: 120 }));
    const both = ids.maria < ids.alex ? 'Мария Иванова and Alex Kim' : 'Alex Kim and Мария Иванова'; // in id order
    await teacher.getByTestId('typing').filter({ hasText: `${both} are typing…` }).waitFor();
    await Promise.all(typing);
    await screenshot(teacher, '10b-group-typing');
    for (const page of [maria, alex]) await page.getByTestId('composer').fill('');
    await teacher.waitForFunction(() => document.querySelector('[data-testid="typing"]')?.textContent === '', null, { timeout: 3_000 });
    await screenshot(maria, '10c-group-student');
  });

  test('groups: the teacher removes a student whose tab is open on the other replica; it says so and receives nothing more', async () => {
    const { student: maria, russian: alex, teacher, alex: alexPhone } = pages;
    await teacher.getByTestId('members-button').click();
    const panel = teacher.getByTestId('group-panel');
    for (const id of [ids.ivan, ids.maria, ids.alex]) await panel.getByTestId(`member-${id}`).waitFor();
    assert.match(await panel.getByTestId(`member-${ids.ivan}`).innerText(), /owner/);
    assert.equal(await panel.getByTestId(`remove-member-${ids.ivan}`).count(), 0, 'the owner does not remove himself here');
    await screenshot(teacher, '11-group-members');
    // A student cannot manage the group: no remove buttons, no rename, only "Leave".
    await maria.getByTestId('members-button').click();
    const hers = maria.getByTestId('group-panel');
    await hers.getByTestId(`member-${ids.alex}`).waitFor();
    assert.equal(await hers.locator('[data-testid^="remove-member-"], [data-testid="rename-input"]').count(), 0);
    assert.equal(await hers.getByTestId('leave-group').count(), 1);
    await hers.getByTestId('close-group-panel').click();

    await panel.getByTestId(`remove-member-${ids.alex}`).click();
    await panel.getByTestId(`member-${ids.alex}`).waitFor({ state: 'detached' });
    await panel.getByTestId('close-group-panel').click();

    // His tab (A, in Russian) says so, the composer is gone, the list marks the group.
    const ended = alex.getByTestId('group-ended');
    await ended.waitFor();
    assert.equal(await ended.getAttribute('data-reason'), 'removed');
    assert.match(await ended.innerText(), /Вас удалили из группы/);
    assert.equal(await alex.getByTestId('composer').count(), 0);
    await alex.locator('.system-line').filter({ hasText: 'Вас удалили из группы' }).waitFor();
    await alex.getByTestId(`ended-${groupId}`).filter({ hasText: 'Вас удалили из группы' }).waitFor();
    // His phone (B) too.
    await alexPhone.getByTestId(`ended-${groupId}`).filter({ hasText: 'You were removed from the group' }).waitFor();
    // The others see the line and the new count.
    await maria.locator('.system-line').filter({ hasText: 'Иван Петров removed Alex Kim' }).waitFor();
    await maria.getByTestId('member-count').filter({ hasText: '2 members' }).waitFor();
    await teacher.locator('.system-line').filter({ hasText: 'Иван Петров removed Alex Kim' }).waitFor();
    await screenshot(alex, '11a-removed-from-group');

    // What is sent afterwards reaches Мария, never his tab.
    const after = await send(teacher, 'Дальше — только для Марии 🤫');
    assert.deepEqual(await waitForMessage(maria, 'Дальше — только для Марии 🤫'), [after]);
    const shownBefore = await shownIds(alex);
    await alex.waitForTimeout(1_500); // a replica that leaked it would have delivered it by now
    assert.deepEqual(await shownIds(alex), shownBefore);
    assert.ok(!shownBefore.includes(after));
    assert.equal(await alex.locator(`[data-testid="message-${after}"]`).count(), 0);
    assert.equal(await alexPhone.getByTestId(`chat-${groupId}`).filter({ hasText: 'только для Марии' }).count(), 0);
    // The server still shows him what he read while a member, and nothing from after: the same
    // rule a resumed stream follows. Writing is refused.
    const history = await api(alex, 'GET', `/api/chats/${groupId}/messages`);
    assert.equal(history.status, 200);
    assert.ok(history.body.messages.length > 0, 'his membership period');
    assert.ok(!history.body.messages.some((m) => m.id === after), 'nothing after his removal');
    // (Not a member now: the chat is not his to write in, as if it did not exist.)
    const refused = await api(alex, 'POST', '/api/messages', { chat_id: groupId, content: 'я ещё здесь?' });
    assert.equal(refused.status, 403);
  });

  test('groups: the owner renames the group, a student leaves it, and the inbox groups chats by context and searches them', async () => {
    const { student: maria, teacher } = pages;
    await teacher.getByTestId('members-button').click();
    const panel = teacher.getByTestId('group-panel');
    await panel.getByTestId('rename-input').fill('Алгебра 9Б 🧮');
    await panel.getByTestId('rename-save').click();
    await panel.getByRole('heading', { name: 'Members of Алгебра 9Б 🧮' }).waitFor();
    await panel.getByTestId('close-group-panel').click();
    await maria.getByTestId('conversation-title').filter({ hasText: 'Алгебра 9Б 🧮' }).waitFor();
    await maria.locator('.system-line').filter({ hasText: 'Иван Петров renamed the group to “Алгебра 9Б 🧮”' }).waitFor();
    await waitRow(maria, groupId, 'Алгебра 9Б 🧮');

    // She leaves: her conversation ends, the teacher sees her go.
    await maria.getByTestId('members-button').click();
    await maria.getByTestId('leave-group').click();
    await maria.getByTestId('group-panel').waitFor({ state: 'detached' });
    await maria.locator('[data-testid="group-ended"][data-reason="left"]').filter({ hasText: 'You left the group' }).waitFor();
    await maria.getByTestId(`ended-${groupId}`).filter({ hasText: 'You left the group' }).waitFor();
    await teacher.locator('.system-line').filter({ hasText: 'Мария Иванова left the group' }).waitFor();
    await teacher.getByTestId('member-count').filter({ hasText: '1 member' }).waitFor();

    // A second group about a course (created through the API): the teacher's inbox gets sections.
    const created = await api(teacher, 'POST', '/api/chats', {
      kind: 'group',
      title: 'Пробный ЕГЭ',
      participant_ids: [ids.alex],
      context: { type: 'course', id: 12, title: 'ЕГЭ математика' },
    });
    assert.equal(created.status, 201);
    const ege = created.body.id;
    const section = teacher.getByTestId('section-course:12');
    await section.getByTestId(`chat-${ege}`).waitFor();
    await teacher.getByTestId('section-toggle-none').filter({ hasText: 'Other chats' }).waitFor();
    await teacher.getByTestId('section-none').getByTestId(`chat-${groupId}`).waitFor();
    // The pairs' chats are about their lessons' subjects (the demo's: Алгебра, then Геометрия).
    const algebra = teacher.getByTestId('section-title:Алгебра');
    for (const id of [chatId, alexChat]) await algebra.getByTestId(`chat-${id}`).waitFor();
    assert.match(await teacher.getByTestId(`subjects-${chatId}`).textContent(), /Алгебра, Геометрия/);
    assert.match(await section.getByTestId('section-toggle-course:12').textContent(), /ЕГЭ математика/); // shown in capitals
    // Collapsing a section hides its chats; opening it shows them again.
    await teacher.getByTestId('section-toggle-course:12').click();
    await teacher.getByTestId(`chat-${ege}`).waitFor({ state: 'detached' });
    assert.equal(await teacher.getByTestId('section-toggle-course:12').getAttribute('aria-expanded'), 'false');
    await teacher.getByTestId('section-toggle-course:12').click();
    await teacher.getByTestId(`chat-${ege}`).waitFor();
    await screenshot(teacher, '12a-inbox-sections');

    // Search: a group's title or a partner's name, any case.
    const search = teacher.getByTestId('search-chats');
    await search.fill('алгебра');
    await teacher.getByTestId(`chat-${chatId}`).waitFor({ state: 'detached' });
    assert.equal(await teacher.locator('[data-testid^="chat-"][data-kind]').count(), 1);
    await teacher.getByTestId(`chat-${groupId}`).waitFor();
    await search.fill('МАРИЯ');
    await teacher.getByTestId(`chat-${chatId}`).waitFor();
    assert.equal(await teacher.locator('[data-testid^="chat-"][data-kind]').count(), 1);
    await search.fill('нет такого');
    await teacher.getByTestId('no-matches').waitFor();
    await search.fill('');
    for (const id of [chatId, alexChat, groupId, ege]) await teacher.getByTestId(`chat-${id}`).waitFor();
  });
}
