import { describe, expect, it } from 'vitest';

import { emptyConversation } from '../conversation/messages';
import type { Conversation } from '../conversation/model';
import { dispatch } from '../stream/dispatch';
import { parseStreamEvent } from '../stream/events';
import { changesPins, firstLine, mayPin, type Pin, shownPins } from './pins';

const AT = '2026-11-25T20:00:00Z';

function pin(id: number, content: string): Pin {
  const message = { id, sender_id: 7, content, is_deleted: false, created_at: AT, is_edited: false, edited_at: null };
  return {
    message_id: id,
    pinned_by: 7,
    pinned_at: AT,
    message: { ...message, reply_to: null, type: 'text', attachments: [], read_by: [], hidden: null, purged: null, reactions: [], mentions: [] },
  };
}

describe('pins', () => {
  it('reads message_pinned and message_unpinned from the stream, and nothing malformed', () => {
    expect(parseStreamEvent('message_pinned', `{"chat_id":3,"message_id":40,"actor_id":7,"at":"${AT}"}`, '120')).toEqual({
      type: 'message_pinned',
      position: 120,
      chatId: 3,
      messageId: 40,
      actorId: 7,
    });
    expect(parseStreamEvent('message_unpinned', `{"chat_id":3,"message_id":40,"actor_id":null,"at":"${AT}"}`, '121')).toMatchObject({
      type: 'message_unpinned',
      actorId: null,
    });
    expect(parseStreamEvent('message_pinned', `{"chat_id":3,"message_id":"40","actor_id":7,"at":"${AT}"}`, '122')).toBeNull();
    expect(parseStreamEvent('message_pinned', '{"chat_id":3,"message_id":40,"actor_id":7}', '122')).toBeNull();
    expect(parseStreamEvent('message_pinned', `{"chat_id":3,"message_id":40,"actor_id":7,"at":"${AT}"}`, '')).toBeNull();
  });

  it('asks the bar to read the pins again on a pin, an unpin, a message gone or a reset, and on nothing else', () => {
    for (const type of ['message_pinned', 'message_unpinned', 'message_deleted', 'message_hidden', 'messages_purged', 'reset']) {
      expect(changesPins({ type }), type).toBe(true);
    }
    for (const type of ['new_message', 'message_edited', 'message_unhidden', 'typing', 'chat_muted']) {
      expect(changesPins({ type }), type).toBe(false);
    }
  });

  it('changes no reducer of the workspace: the bar reads its pins itself', () => {
    const event = parseStreamEvent('message_pinned', `{"chat_id":3,"message_id":40,"actor_id":7,"at":"${AT}"}`, '120');
    const outcome = dispatch(event!, {
      me: 1,
      isAdmin: false,
      isGuest: false,
      isGuardian: false,
      chatList: { items: [] },
      conversations: {},
      groups: {},
      people: new Map(),
      openChatId: 3,
      readingChatId: 3,
      now: 0,
    });
    expect(Object.values(outcome).every((actions) => actions.length === 0)).toBe(true);
  });

  it('shows the pins the server listed, less the messages seen go since, each with its newest text', () => {
    const pins = [pin(3, 'третье'), pin(2, 'второе'), pin(1, 'первое')];
    expect(shownPins(pins, undefined).map((p) => p.messageId)).toEqual([3, 2, 1]);
    const conversation: Conversation = {
      ...emptyConversation(9),
      deleted: new Set([2]),
      edits: new Map([[1, { content: 'первое, исправлено', editedAt: AT }]]),
      moderated: new Map([[3, { kind: 'hidden', hidden: { hidden_at: AT, hidden_by: null, reason: null }, keepContent: false }]]),
    };
    expect(shownPins(pins, conversation)).toEqual([{ messageId: 1, pinnedBy: 7, text: 'первое, исправлено' }]);
  });

  it('says a message by its first line, cut short', () => {
    expect(firstLine('  Контрольная в пятницу\nПринесите калькуляторы')).toBe('Контрольная в пятницу');
    expect(firstLine('')).toBe('');
    expect(firstLine('a'.repeat(200), 10)).toBe(`${'a'.repeat(9)}…`);
  });

  it('lets a group’s owner and a direct chat’s participants pin, while they may write; nobody else', () => {
    const teacher = { id: 7, role: 'teacher' };
    const student = { id: 8, role: 'student' };
    expect(mayPin({ kind: 'group', createdBy: 7 }, teacher, true)).toBe(true);
    expect(mayPin({ kind: 'group', createdBy: 7 }, student, true)).toBe(false);
    expect(mayPin({ kind: 'direct', createdBy: null }, student, true)).toBe(true);
    expect(mayPin({ kind: 'direct', createdBy: null }, student, false)).toBe(false);
    expect(mayPin({ kind: 'inquiry', createdBy: 7 }, teacher, true)).toBe(true);
    expect(mayPin({ kind: 'family', createdBy: null }, { id: 9, role: 'guardian' }, true)).toBe(true);
    expect(mayPin({ kind: 'family', createdBy: null }, teacher, true)).toBe(true);
    expect(mayPin({ kind: 'family', createdBy: null }, { id: 9, role: 'guardian' }, false)).toBe(false);
    for (const role of ['admin', 'guardian', 'guest']) {
      expect(mayPin({ kind: 'direct', createdBy: null }, { id: 9, role }, true), role).toBe(false);
    }
  });
});
