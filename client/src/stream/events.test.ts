import { describe, expect, expectTypeOf, it } from 'vitest';

import type { HistoryMessage } from '../api';
import type { WireMessage } from '../conversation/model';
import { parseStreamEvent } from './events';
import type { components } from '../generated/api';

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

  it('parses message_sent, our own message, as a new message at its position', () => {
    const message = { id: 1000, sender_id: 7, content: 'mine', created_at: '2025-01-17T15:31:00Z' };
    const data = JSON.stringify({ chat_id: 123, message });
    expect(parseStreamEvent('message_sent', data, '43')).toEqual({ type: 'new_message', position: 43, chatId: 123, message });
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
    const closed: components['schemas']['ChatClosedEvent'] = {
      chat_id: 4,
      closed_at: '2025-01-17T15:30:00Z',
      reason: 'blocked',
      actor_id: 7,
      request_id: null,
    };
    expect(parseStreamEvent('chat_closed', JSON.stringify(closed), '13')).toEqual({
      type: 'chat_closed',
      position: 13,
      chatId: 4,
      closedAt: '2025-01-17T15:30:00Z',
      reason: 'blocked',
    });
  });
});
