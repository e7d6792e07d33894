import { describe, expect, expectTypeOf, it } from 'vitest';

import type { HistoryMessage } from './api';
import { EVENT_TYPES, type StreamEvent, backoffDelay, followPosition, parseStreamEvent } from './events';
import type { components } from './generated/api';
import type { WireMessage } from './conversation/model';

describe('parseStreamEvent', () => {
  it('parses new_message with its log position', () => {
    const data = JSON.stringify({
      chat_id: 123,
      message: { id: 999, sender_id: 7, content: 'line 1\nline 2 <b>', created_at: '2025-01-17T15:30:00.123456Z' },
    });
    expect(parseStreamEvent('new_message', data, '42')).toEqual({
      type: 'new_message',
      position: 42,
      chatId: 123,
      message: { id: 999, sender_id: 7, content: 'line 1\nline 2 <b>', created_at: '2025-01-17T15:30:00.123456Z' },
    });
  });

  it('parses message_deleted and reset', () => {
    expect(parseStreamEvent('message_deleted', '{"chat_id":1,"message_id":5}', '43')).toEqual({
      type: 'message_deleted',
      position: 43,
      chatId: 1,
      messageId: 5,
    });
    expect(parseStreamEvent('reset', '{"reason":"reload"}', '7')).toEqual({ type: 'reset', position: 7, reason: 'reload' });
  });

  it('normalises chat_created for participants and for admins', () => {
    const person = { id: 2, name: 'Иван Петров', role: 'teacher' };
    const forUser = parseStreamEvent(
      'chat_created',
      JSON.stringify({ chat: { id: 3, participant: person, last_message: null, unread_count: 0 } }),
      '50',
    );
    expect(forUser).toMatchObject({ type: 'chat_created', position: 50, chat: { id: 3, people: [person], messagesCount: null } });
    const forAdmin = parseStreamEvent(
      'chat_created',
      JSON.stringify({ chat: { id: 3, participants: [person, person], messages_count: 0, last_message_at: null } }),
      '50',
    );
    expect(forAdmin).toMatchObject({ chat: { id: 3, messagesCount: 0, position: 50 } });
    expect(forAdmin?.type === 'chat_created' && forAdmin.chat.people).toHaveLength(2);
  });

  it('drops frames without a numeric id, with bad JSON or the wrong shape', () => {
    expect(parseStreamEvent('new_message', '{"chat_id":1,"message":{"id":1}}', '1')).toBeNull();
    expect(parseStreamEvent('new_message', 'not json', '1')).toBeNull();
    expect(parseStreamEvent('message_deleted', '{"chat_id":1,"message_id":5}', '')).toBeNull();
    expect(parseStreamEvent('message_deleted', '{"chat_id":"1","message_id":5}', '2')).toBeNull();
    expect(parseStreamEvent('chat_created', '{"chat":{"id":1}}', '2')).toBeNull();
    expect(parseStreamEvent('something_else', '{}', '2')).toBeNull();
  });

  it('parses new_message with the reply it quotes, and checks the newer fields when present', () => {
    const message = {
      id: 12,
      sender_id: 7,
      content: 'да',
      created_at: '2025-01-17T15:30:00Z',
      is_edited: false,
      edited_at: null,
      reply_to: { id: 11, sender_id: 8, content_preview: null, is_deleted: true },
    };
    expect(parseStreamEvent('new_message', JSON.stringify({ chat_id: 1, message }), '44')).toEqual({
      type: 'new_message',
      position: 44,
      chatId: 1,
      message,
    });
    const bad = (patch: object) =>
      parseStreamEvent('new_message', JSON.stringify({ chat_id: 1, message: { ...message, ...patch } }), '44');
    expect(bad({ is_edited: 'no' })).toBeNull();
    expect(bad({ edited_at: 5 })).toBeNull();
    expect(bad({ reply_to: { id: 11 } })).toBeNull();
    expect(bad({ reply_to: { id: 11, sender_id: 8, content_preview: 3, is_deleted: false } })).toBeNull();
    // A quote of a message from before we joined: only that it is unavailable.
    const unavailable = { id: 11, sender_id: null, content_preview: null, is_deleted: false, unavailable: true };
    expect(bad({ reply_to: unavailable })).not.toBeNull();
    expect(bad({ reply_to: { ...unavailable, unavailable: 'yes' } })).toBeNull();
    expect(bad({ read_by: [8, '9'] })).toBeNull();
    expect(bad({ read_by: [8] })).not.toBeNull();
  });

  it('parses message_edited, which must say when it was edited', () => {
    const message = {
      id: 5,
      sender_id: 7,
      content: 'исправлено',
      created_at: '2025-01-17T15:30:00Z',
      is_edited: true,
      edited_at: '2025-01-17T15:31:00.5Z',
      reply_to: null,
    };
    expect(parseStreamEvent('message_edited', JSON.stringify({ chat_id: 3, message }), '60')).toEqual({
      type: 'message_edited',
      position: 60,
      chatId: 3,
      message,
    });
    const edit = (patch: object) =>
      parseStreamEvent('message_edited', JSON.stringify({ chat_id: 3, message: { ...message, ...patch } }), '60');
    expect(edit({ edited_at: null })).toBeNull();
    expect(edit({ is_edited: false })).toBeNull();
    expect(edit({ content: null })).toBeNull();
  });

  it('parses the type and attachments of new_message and message_edited, and drops a malformed attachment', () => {
    const image = {
      id: 40,
      name: 'доска.png',
      content_type: 'image/png',
      size: 5120,
      sha256: 'ab'.repeat(32),
      width: 640,
      height: 480,
    };
    const pdf = { id: 41, name: 'задачи.pdf', content_type: 'application/pdf', size: 90_000, sha256: 'cd'.repeat(32) };
    const message = {
      id: 13,
      sender_id: 7,
      content: '',
      created_at: '2025-01-17T15:30:00Z',
      type: 'file',
      attachments: [image, pdf],
    };
    expect(parseStreamEvent('new_message', JSON.stringify({ chat_id: 1, message }), '45')).toEqual({
      type: 'new_message',
      position: 45,
      chatId: 1,
      message,
    });
    const edited = { ...message, content: 'Подпись', is_edited: true, edited_at: '2025-01-17T15:31:00Z' };
    expect(parseStreamEvent('message_edited', JSON.stringify({ chat_id: 1, message: edited }), '46')).toMatchObject({
      message: { attachments: [image, pdf] },
    });
    const bad = (patch: object) =>
      parseStreamEvent('new_message', JSON.stringify({ chat_id: 1, message: { ...message, ...patch } }), '45');
    expect(bad({ attachments: [{ ...pdf, id: '41' }] })).toBeNull();
    expect(bad({ attachments: [{ ...pdf, size: -1 }] })).toBeNull();
    expect(bad({ attachments: [{ ...image, width: 1.5 }] })).toBeNull();
    expect(bad({ attachments: [{ id: 41, name: 'x' }] })).toBeNull();
    expect(bad({ attachments: pdf })).toBeNull();
    expect(bad({ type: 3 })).toBeNull();
    // A size the server could not read is no error; a type this client does not know neither.
    expect(bad({ attachments: [{ ...image, width: null, height: null }] })).not.toBeNull();
    expect(bad({ type: 'voice' })).not.toBeNull();
    expect(bad({ attachments: [], type: 'text', content: 'x' })).not.toBeNull();
  });

  it('parses messages_read', () => {
    const data = { chat_id: 3, user_id: 8, up_to_message_id: 41, read_at: '2025-01-17T15:31:00Z' };
    expect(parseStreamEvent('messages_read', JSON.stringify(data), '61')).toEqual({
      type: 'messages_read',
      position: 61,
      chatId: 3,
      userId: 8,
      upTo: 41,
      readAt: '2025-01-17T15:31:00Z',
    });
    const read = (patch: object) => parseStreamEvent('messages_read', JSON.stringify({ ...data, ...patch }), '61');
    expect(read({ user_id: null })).toBeNull();
    expect(read({ up_to_message_id: '41' })).toBeNull();
    expect(read({ chat_id: 1.5 })).toBeNull();
    expect(read({ read_at: undefined })).toBeNull();
    expect(parseStreamEvent('messages_read', JSON.stringify(data), '')).toBeNull();
  });
});

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

describe('typing and presence (not in the log)', () => {
  const typing = { chat_id: 3, user_id: 8, is_typing: true };
  const presence = { user_id: 8, online: false, last_seen: '2025-01-17T15:31:00.123456Z' };

  it('parses typing, without an id or with the stale one an EventSource hands it', () => {
    const expected = { type: 'typing', chatId: 3, userId: 8, isTyping: true };
    expect(parseStreamEvent('typing', JSON.stringify(typing), '')).toEqual(expected);
    expect(parseStreamEvent('typing', JSON.stringify(typing), '41')).toEqual(expected);
    expect(parseStreamEvent('typing', JSON.stringify({ ...typing, is_typing: false }), '')).toMatchObject({
      isTyping: false,
    });
  });

  it('rejects typing of the wrong shape', () => {
    const bad = (patch: object) => parseStreamEvent('typing', JSON.stringify({ ...typing, ...patch }), '');
    expect(bad({ is_typing: 'true' })).toBeNull();
    expect(bad({ is_typing: 1 })).toBeNull();
    expect(bad({ is_typing: undefined })).toBeNull();
    expect(bad({ chat_id: '3' })).toBeNull();
    expect(bad({ user_id: null })).toBeNull();
    expect(bad({ user_id: 8.5 })).toBeNull();
    expect(parseStreamEvent('typing', 'not json', '')).toBeNull();
    expect(parseStreamEvent('typing', '[1,2]', '')).toBeNull();
  });

  it('parses presence, online (never a last seen) or offline with when, or never seen', () => {
    expect(parseStreamEvent('presence', JSON.stringify(presence), '')).toEqual({
      type: 'presence',
      userId: 8,
      online: false,
      lastSeen: '2025-01-17T15:31:00.123456Z',
    });
    expect(parseStreamEvent('presence', JSON.stringify({ user_id: 8, online: true, last_seen: null }), '77')).toEqual({
      type: 'presence',
      userId: 8,
      online: true,
      lastSeen: null,
    });
    expect(parseStreamEvent('presence', JSON.stringify({ ...presence, last_seen: null }), '')).toMatchObject({
      online: false,
      lastSeen: null,
    });
    expect(
      parseStreamEvent('presence', JSON.stringify({ ...presence, last_seen: '2025-01-17T18:31:00+03:00' }), ''),
    ).toMatchObject({ lastSeen: '2025-01-17T18:31:00+03:00' });
  });

  it('rejects presence of the wrong shape or with a last seen that is not an RFC 3339 time', () => {
    const bad = (patch: object) => parseStreamEvent('presence', JSON.stringify({ ...presence, ...patch }), '');
    expect(bad({ online: 'false' })).toBeNull();
    expect(bad({ online: undefined })).toBeNull();
    expect(bad({ user_id: '8' })).toBeNull();
    expect(bad({ last_seen: undefined })).toBeNull();
    expect(bad({ last_seen: 1737127860 })).toBeNull();
    expect(bad({ last_seen: 'yesterday' })).toBeNull();
    expect(bad({ last_seen: '2025-01-17' })).toBeNull();
    expect(bad({ last_seen: '2025-01-17T15:31:00' })).toBeNull(); // no offset
    expect(bad({ last_seen: '2025-13-45T15:31:00Z' })).toBeNull();
  });

  it('are listened to', () => {
    expect(EVENT_TYPES).toContain('typing');
    expect(EVENT_TYPES).toContain('presence');
  });
});

describe("the stream's position", () => {
  const message = (position: number) =>
    parseStreamEvent(
      'new_message',
      JSON.stringify({ chat_id: 1, message: { id: position, sender_id: 7, content: 'x', created_at: '2025-01-17T15:30:00Z' } }),
      String(position),
    )!;
  const live = parseStreamEvent('typing', JSON.stringify({ chat_id: 1, user_id: 8, is_typing: true }), '42')!;
  const online = parseStreamEvent('presence', JSON.stringify({ user_id: 8, online: true, last_seen: null }), '')!;

  /** Runs events through the bookkeeping: what is handled, and the last position. */
  function follow(start: number | null, events: StreamEvent[]) {
    let last = start;
    const handled: string[] = [];
    for (const event of events) {
      const step = followPosition(last, event);
      last = step.last;
      if (step.handle) handled.push('position' in event ? `${event.type}@${event.position}` : event.type);
    }
    return { handled, last };
  }

  it('moves with events of the log and drops their replays', () => {
    expect(follow(40, [message(41), message(41), message(40), message(42)])).toEqual({
      handled: ['new_message@41', 'new_message@42'],
      last: 42,
    });
  });

  it('never moves for typing or presence, and never drops them as already handled', () => {
    // The typing frame came after id 42 and an EventSource reports 42 for it as well.
    expect(follow(40, [message(42), live, online, live, message(43)])).toEqual({
      handled: ['new_message@42', 'typing', 'presence', 'typing', 'new_message@43'],
      last: 43,
    });
    expect(follow(null, [live, online])).toEqual({ handled: ['typing', 'presence'], last: null });
    expect(follow(50, [live])).toEqual({ handled: ['typing'], last: 50 });
  });

  it('takes the position of a reset, whatever it is', () => {
    const reset = parseStreamEvent('reset', '{"reason":"behind"}', '30')!;
    expect(follow(40, [reset, message(31)])).toEqual({ handled: ['reset@30', 'new_message@31'], last: 31 });
  });
});

describe('backoffDelay', () => {
  it('doubles its ceiling per failure up to 10 s and waits between half and all of it', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 0)).toBe(2000);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(10, () => 0)).toBe(5000);
    expect(backoffDelay(10, () => 1)).toBe(10_000);
  });

  it('spreads the clients that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(2)));
    expect(delays.size).toBeGreaterThan(40);
    for (const delay of delays) expect(delay >= 1000 && delay <= 2000).toBe(true);
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

  it('parses chat_closed with when it was closed', () => {
    expect(parse('chat_closed', { chat_id: 21, closed_at: '2025-01-20T15:00:00.5Z' })).toEqual({
      type: 'chat_closed',
      position: 80,
      chatId: 21,
      closedAt: '2025-01-20T15:00:00.5Z',
    });
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
});

describe('the OpenAPI document', () => {
  it("describes messages this client takes: an event's (with its sender) and history's", () => {
    // Checked by the compiler: a field the document renames or retypes breaks these.
    expectTypeOf<components['schemas']['MessageBody'] & { sender_id: number }>().toExtend<WireMessage>();
    expectTypeOf<HistoryMessage>().toExtend<WireMessage>();
  });

  it('parses an event exactly as its schema in the document gives it', () => {
    const read: components['schemas']['MessagesReadEvent'] = {
      chat_id: 4,
      user_id: 2,
      up_to_message_id: 90,
      read_at: '2025-01-17T15:30:00Z',
    };
    expect(parseStreamEvent('messages_read', JSON.stringify(read), '12')).toEqual({
      type: 'messages_read',
      position: 12,
      chatId: 4,
      userId: 2,
      upTo: 90,
      readAt: '2025-01-17T15:30:00Z',
    });
    const typing: components['schemas']['TypingEvent'] = { chat_id: 4, user_id: 2, is_typing: true };
    expect(parseStreamEvent('typing', JSON.stringify(typing), '')).toEqual({
      type: 'typing',
      chatId: 4,
      userId: 2,
      isTyping: true,
    });
    const closed: components['schemas']['ChatClosedEvent'] = { chat_id: 4, closed_at: '2025-01-17T15:30:00Z' };
    expect(parseStreamEvent('chat_closed', JSON.stringify(closed), '13')).toEqual({
      type: 'chat_closed',
      position: 13,
      chatId: 4,
      closedAt: '2025-01-17T15:30:00Z',
    });
  });
});
