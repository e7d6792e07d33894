import { describe, expect, it } from 'vitest';

import type { AdminChat, ChatSummary, Person } from '../api';
import { ME, alex, en, item, ivan, order, run, snapshot, summary } from './chatListFixtures';
import { canManage, chatTitle, fromAdminChat, fromSummary, unreadTotal } from './items';
import type { ChatItem, ChatListAction } from './model';

describe('groups in the chat list', () => {
  const maria = { id: 4, name: 'Мария Иванова', role: 'student' as const };
  const course = { type: 'course', id: 12, title: 'ЕГЭ математика' };

  /** Group 20 ("Алгебра", owned by Иван, 3 members), its last message from Мария at log 100. */
  const group = (unread = 0): ChatSummary => ({
    id: 20,
    kind: 'group',
    title: 'Алгебра',
    context: course,
    subjects: [],
    children: [],
    created_by: ivan.id,
    updated_at: '2025-01-17T15:30:00Z',
    participants_count: 3,
    guardians_read: false,
    announcement: false,
    teacher_departed: false,
    audience: null,
    recipients: null,
    closed_at: null,
    ward: null,
    ward_only: false,
    participant: null,
    last_message: {
      id: 200,
      sender_id: maria.id,
      sender_name: maria.name,
      content: 'Готово',
      created_at: '2025-01-17T15:30:00Z',
      type: 'text',
      removed: null,
    },
    unread_count: unread,
    last_read_message_id: 0,
    muted: false,
    participant_departed: false,
    archived: false,
  });
  const withGroup = (unread = 0) =>
    run([snapshot([fromSummary(group(unread)), fromSummary(summary(10, 0, '2025-01-17T15:00:00Z'))])]);
  const added = (user: Person, position: number, me = ME, chatId = 20): ChatListAction => ({
    type: 'participantAdded',
    chatId,
    user,
    position,
    me,
  });
  const removed = (userId: number, actorId: number | null, position: number, me = ME): ChatListAction => ({
    type: 'participantRemoved',
    chatId: 20,
    userId,
    actorId,
    position,
    me,
  });

  it('reads a group: its title, context, owner, member count and the last sender, nobody as "the other participant"', () => {
    const chat = item(withGroup(), 20);
    expect(chat).toMatchObject({
      kind: 'group',
      title: 'Алгебра',
      context: course,
      subjects: [],
      children: [],
      createdBy: ivan.id,
      people: [],
      participantsCount: 3,
      membership: 'member',
      lastMessage: { senderId: maria.id, senderName: 'Мария Иванова', content: 'Готово' },
      lastActivityAt: '2025-01-17T15:30:00Z',
    });
    expect(chatTitle(chat, en)).toBe('Алгебра');
    expect(chatTitle(item(withGroup(), 10), en)).toBe('Иван Петров');
  });

  it("takes the last message's type (its text may be empty for a file or an image)", () => {
    const last = (patch: object) =>
      fromSummary({ ...group(), last_message: { ...group().last_message!, content: '', ...patch } }).lastMessage;
    expect(last({ type: 'image' })).toMatchObject({ content: '', type: 'image' });
    expect(last({ type: 'file' })).toMatchObject({ type: 'file' });
    expect(last({})).toMatchObject({ type: 'text' }); // a server before attachments
  });

  it('counts members as they are added and removed, once per event, and not what a snapshot already shows', () => {
    const state = run([added(alex, 101), added(alex, 101), removed(maria.id, ivan.id, 102)], withGroup());
    expect(item(state, 20)).toMatchObject({ participantsCount: 3, position: 102, membership: 'member' });
    expect(item(run([added(alex, 101)], withGroup()), 20).participantsCount).toBe(4);
    // The snapshot was read at 100: it counts the member that event 100 added.
    expect(run([added(alex, 100)], withGroup())).toEqual(withGroup());
    // A group not listed yet waits for the snapshot that lists it.
    expect(run([added(alex, 101, ME, 99)], withGroup())).toEqual(withGroup());
  });

  it('follows a new title', () => {
    const state = run([{ type: 'chatRenamed', chatId: 20, title: 'Алгебра, 9 класс', position: 101 }], withGroup());
    expect(chatTitle(item(state, 20), en)).toBe('Алгебра, 9 класс');
    const stale = run([{ type: 'chatRenamed', chatId: 20, title: 'Старое', position: 99 }], withGroup());
    expect(chatTitle(item(stale, 20), en)).toBe('Алгебра');
  });

  it('marks the group left or removed when it drops us, and its badge no longer counts', () => {
    const left = run([removed(ME, ME, 101)], withGroup(2));
    expect(item(left, 20)).toMatchObject({ membership: 'left', unread: 0, participantsCount: 2 });
    expect(unreadTotal(left)).toBe(0);
    const out = run([removed(ME, ivan.id, 101)], withGroup(2));
    expect(item(out, 20)).toMatchObject({ membership: 'removed', unread: 0 });
    // Someone else leaving changes only the count.
    expect(item(run([removed(maria.id, maria.id, 101)], withGroup(2)), 20)).toMatchObject({
      membership: 'member',
      unread: 2,
      participantsCount: 2,
    });
  });

  it('keeps a group that dropped us through a refresh (at the bottom), until a full load or we are back', () => {
    const out = run([removed(ME, ivan.id, 101)], withGroup());
    const refresh = (items: ChatItem[], position: number): ChatListAction => ({ type: 'snapshot', items, position, mode: 'refresh' });
    const refreshed = run([refresh([fromSummary(summary(11, 0, '2025-01-17T16:00:00Z')), fromSummary(summary(10))], 120)], out);
    expect(order(refreshed)).toEqual([11, 10, 20]);
    expect(item(refreshed, 20).membership).toBe('removed');
    expect(order(run([snapshot([fromSummary(summary(10))], 120)], out))).toEqual([10]);
    // Added again: the list is fetched again and shows the group as a member's.
    const back = run([added({ id: ME, name: 'Я', role: 'student' }, 130)], out);
    expect(item(back, 20)).toMatchObject({ membership: 'member', participantsCount: 3 });
    const rejoined = run([refresh([fromSummary(group()), fromSummary(summary(10))], 140)], back);
    expect(item(rejoined, 20).membership).toBe('member');
    expect(order(rejoined)).toEqual([20, 10]);
  });

  it('shows a group message with its sender for the preview and counts it as unread', () => {
    const state = run(
      [
        {
          type: 'newMessage',
          chatId: 20,
          message: { id: 300, senderId: alex.id, senderName: 'Alex Kim', content: 'Привет', createdAt: '2025-01-17T16:00:00Z' },
          position: 101,
          me: ME,
          readingChatId: null,
        },
      ],
      run([snapshot([fromSummary(summary(10, 0, '2025-01-17T15:45:00Z')), fromSummary(group())])]),
    );
    expect(order(state)).toEqual([20, 10]);
    expect(item(state, 20)).toMatchObject({ unread: 1, lastMessage: { senderName: 'Alex Kim', content: 'Привет' } });
  });

  it('lets its owner and admins manage a group, nobody a direct chat', () => {
    const chat = item(withGroup(), 20);
    expect(canManage(chat, ivan)).toBe(true);
    expect(canManage(chat, { id: 99, name: 'Ольга Админ', role: 'admin' })).toBe(true);
    expect(canManage(chat, { ...alex, role: 'teacher' })).toBe(false);
    expect(canManage(chat, maria)).toBe(false);
    expect(canManage(item(withGroup(), 10), { id: 99, name: 'Ольга Админ', role: 'admin' })).toBe(false);
  });

  it("keeps an admin's group members current, each member once", () => {
    const created: AdminChat = {
      id: 20,
      kind: 'group',
      title: 'Алгебра',
      context: null,
      subjects: [],
      children: [],
      created_by: ivan.id,
      updated_at: '2025-01-17T15:00:00Z',
      participants_count: 0,
      guardians_read: false,
      announcement: false,
      teacher_departed: false,
      audience: null,
      recipients: null,
      closed_at: null,
      participants: [],
      messages_count: 0,
      last_message_at: null,
    };
    const state = run(
      [
        snapshot([]),
        { type: 'chatCreated', item: fromAdminChat(created), position: 101 },
        added(ivan, 102, 99),
        added(maria, 103, 99),
        added(alex, 104, 99),
        removed(alex.id, ivan.id, 105, 99),
      ],
    );
    expect(item(state, 20)).toMatchObject({ people: [ivan, maria], participantsCount: 2, messagesCount: 0 });
    expect(item(state, 20).lastActivityAt).toBe('2025-01-17T15:00:00Z');
    expect(chatTitle(item(state, 20), en)).toBe('Алгебра');
    // An add of a member already shown (a snapshot read after it) counts nothing.
    expect(item(run([added(maria, 106, 99)], state), 20).participantsCount).toBe(2);
  });
});
