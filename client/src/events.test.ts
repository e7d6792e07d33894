import { describe, expect, it } from 'vitest';

import { parseStreamEvent } from './events';

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
});
