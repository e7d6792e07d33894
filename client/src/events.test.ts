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
