import { describe, expect, it } from 'vitest';

import { EVENT_TYPES, parseStreamEvent } from './events';

describe('group events', () => {
  const user = { id: 8, name: 'Мария Иванова', role: 'student' };
  const parse = (type: string, data: object, id = '70') => parseStreamEvent(type, JSON.stringify(data), id);

  it('parses participant_added with the new member and who added them', () => {
    expect(parse('participant_added', { chat_id: 20, user, actor_id: 2 })).toEqual({
      type: 'participant_added',
      position: 70,
      chatId: 20,
      user,
      actorId: 2,
    });
    // Who did it may be unknown (null, or absent).
    expect(parse('participant_added', { chat_id: 20, user, actor_id: null })).toMatchObject({ actorId: null });
    expect(parse('participant_added', { chat_id: 20, user })).toMatchObject({ actorId: null });
    const added = (patch: object) => parse('participant_added', { chat_id: 20, user, actor_id: 2, ...patch });
    expect(added({ user: { ...user, role: 'director' } })).toBeNull();
    expect(added({ user: { id: 8, role: 'student' } })).toBeNull();
    expect(added({ actor_id: '2' })).toBeNull();
    expect(added({ chat_id: null })).toBeNull();
    expect(parse('participant_added', { chat_id: 20, user, actor_id: 2 }, '')).toBeNull();
  });

  it('parses participant_removed (actor_id equal to user_id: they left)', () => {
    expect(parse('participant_removed', { chat_id: 20, user_id: 8, actor_id: 8 })).toEqual({
      type: 'participant_removed',
      position: 70,
      chatId: 20,
      userId: 8,
      actorId: 8,
    });
    expect(parse('participant_removed', { chat_id: 20, user_id: '8', actor_id: 2 })).toBeNull();
    expect(parse('participant_removed', { chat_id: 20, actor_id: 2 })).toBeNull();
  });

  it('parses chat_renamed', () => {
    expect(parse('chat_renamed', { chat_id: 20, title: 'Алгебра, 9 класс', actor_id: 2 })).toEqual({
      type: 'chat_renamed',
      position: 70,
      chatId: 20,
      title: 'Алгебра, 9 класс',
      actorId: 2,
    });
    expect(parse('chat_renamed', { chat_id: 20, title: null, actor_id: 2 })).toBeNull();
  });

  it("normalises an admin's chat_created of a group (no members yet) and a member's view of a group", () => {
    const header = { kind: 'group', title: 'Алгебра', context: { type: 'course', id: 12, title: 'ЕГЭ' }, created_by: 2 };
    const forAdmin = parse('chat_created', {
      chat: { id: 20, ...header, updated_at: '2025-01-17T15:00:00Z', participants_count: 0, participants: [], messages_count: 0, last_message_at: null },
    });
    expect(forAdmin).toMatchObject({
      type: 'chat_created',
      chat: { id: 20, kind: 'group', title: 'Алгебра', createdBy: 2, people: [], participantsCount: 0, messagesCount: 0 },
    });
    const forMember = parse('chat_created', {
      chat: { id: 20, ...header, participant: null, participants_count: 3, last_message: null, unread_count: 0 },
    });
    expect(forMember).toMatchObject({ chat: { id: 20, kind: 'group', people: [], participantsCount: 3, messagesCount: null } });
    // A direct chat names its other participant; a kind this client does not know (an inquiry)
    // is shown like a direct chat, with its other participant.
    expect(parse('chat_created', { chat: { id: 21, kind: 'direct', participant: null } })).toBeNull();
    expect(parse('chat_created', { chat: { id: 21, kind: 'inquiry', title: 'Пробный урок', participant: user } })).toMatchObject({
      chat: { id: 21, kind: 'inquiry', people: [user] },
    });
    expect(parse('chat_created', { chat: { id: 21, kind: 7, participant: user } })).toBeNull();
    expect(parse('chat_created', { chat: { id: 20, ...header, participants: [{ id: 1 }], messages_count: 0 } })).toBeNull();
  });

  it('are listened to', () => {
    for (const type of ['participant_added', 'participant_removed', 'chat_renamed']) expect(EVENT_TYPES).toContain(type);
  });
});

describe('inquiry events', () => {
  const parse = (type: string, data: object, id = '80') => parseStreamEvent(type, JSON.stringify(data), id);
  const teacher = { id: 2, name: 'Иван Петров', role: 'teacher' };
  const guest = { id: 40, name: 'Ольга Смирнова', role: 'guest' };
  const header = {
    kind: 'inquiry',
    title: 'Пробный урок',
    context: { type: 'course', title: 'ЕГЭ математика' },
    created_by: 40,
    updated_at: '2025-01-17T15:00:00Z',
    participants_count: 2,
    closed_at: null,
  };

  it('parses chat_closed with when it was closed, and why (an older server: idle)', () => {
    expect(parse('chat_closed', { chat_id: 21, closed_at: '2025-01-20T15:00:00.5Z' })).toEqual({
      type: 'chat_closed',
      position: 80,
      chatId: 21,
      closedAt: '2025-01-20T15:00:00.5Z',
      reason: 'idle',
    });
    const blocked = { chat_id: 21, closed_at: '2025-01-20T15:00:00Z', reason: 'blocked', actor_id: 7, request_id: null };
    expect(parse('chat_closed', blocked)).toMatchObject({ chatId: 21, reason: 'blocked' });
    expect(parse('chat_closed', { ...blocked, reason: 5 })).toBeNull();
  });

  it('parses a closure request’s news by which request of which chat it is', () => {
    const request = { id: 290, chat_id: 10, reason: 'x', outcome: 'declined' };
    expect(parse('closure_declined', { request })).toEqual({ type: 'closure_declined', position: 80, chatId: 10, requestId: 290 });
    expect(parse('closure_requested', { request: { ...request, id: '290' } })).toBeNull();
    expect(parse('closure_requested', {})).toBeNull();
    expect(parse('chat_closed', { chat_id: 21, closed_at: 'yesterday' })).toBeNull();
    expect(parse('chat_closed', { chat_id: 21, closed_at: null })).toBeNull();
    expect(parse('chat_closed', { chat_id: '21', closed_at: '2025-01-20T15:00:00Z' })).toBeNull();
    expect(parse('chat_closed', { chat_id: 21, closed_at: '2025-01-20T15:00:00Z' }, '')).toBeNull();
    expect(EVENT_TYPES).toContain('chat_closed');
  });

  it("normalises an inquiry's chat_created for the teacher (the guest), the guest (the teacher) and admins (both)", () => {
    const forTeacher = parse('chat_created', {
      chat: { id: 21, ...header, participant: guest, last_message: null, unread_count: 0, last_read_message_id: 0 },
    });
    expect(forTeacher).toMatchObject({
      chat: { id: 21, kind: 'inquiry', title: 'Пробный урок', people: [guest], closedAt: null, messagesCount: null },
    });
    const forGuest = parse('chat_created', { chat: { id: 21, ...header, participant: teacher, last_message: null, unread_count: 0 } });
    expect(forGuest).toMatchObject({ chat: { id: 21, people: [teacher] } });
    // Admins' view lists both, the guest included (a role this client must know).
    const forAdmin = parse('chat_created', {
      chat: { id: 21, ...header, participants: [teacher, guest], messages_count: 0, last_message_at: null },
    });
    expect(forAdmin).toMatchObject({ chat: { id: 21, kind: 'inquiry', people: [teacher, guest], messagesCount: 0 } });
    // A closed_at must be a time.
    expect(parse('chat_created', { chat: { id: 21, ...header, closed_at: 5, participant: guest } })).toBeNull();
  });

  it('takes a guest as a group member too (role guest), but no unknown role', () => {
    expect(parse('participant_added', { chat_id: 20, user: guest, actor_id: 2 })).toMatchObject({ user: guest });
    expect(parse('participant_added', { chat_id: 20, user: { ...guest, role: 'visitor' }, actor_id: 2 })).toBeNull();
  });

  it('parses guardian_linked and guardian_unlinked: who reads whose chats', () => {
    for (const type of ['guardian_linked', 'guardian_unlinked'] as const) {
      expect(parse(type, { guardian_id: 7, student_id: 3 })).toEqual({ type, position: 80, guardianId: 7, studentId: 3 });
      expect(parse(type, { guardian_id: 7 })).toBeNull();
      expect(parse(type, { guardian_id: 7, student_id: 3 }, '')).toBeNull();
      expect(EVENT_TYPES).toContain(type);
    }
  });

  it("reads a chat_created's guardians_read, and a guardian's view names the child", () => {
    const elena = { id: 7, name: 'Елена Иванова', role: 'guardian' as const };
    const maria = { id: 3, name: 'Мария Иванова', role: 'student' as const };
    const direct = { ...header, kind: 'direct', title: null, context: null, created_by: null };
    const chat = { id: 22, ...direct, guardians_read: true, ward: maria, participant: teacher, last_message: null, unread_count: 0 };
    expect(parse('chat_created', { chat })).toMatchObject({ chat: { guardiansRead: true, ward: maria, people: [teacher] } });
    expect(parse('chat_created', { chat: { ...chat, guardians_read: 'yes' } })).toBeNull();
    expect(parse('chat_created', { chat: { ...chat, ward: { id: 3 } } })).toBeNull();
    // A guardian is a person this client knows (an admin's list of a chat's people, say).
    expect(parse('participant_added', { chat_id: 20, user: elena, actor_id: 2 })).toMatchObject({ user: elena });
  });
});
