import { describe, expect, it } from 'vitest';

import type { ChatSummary, Person } from '../api';
import { fromSummary } from '../chats/items';
import { emptyConversation } from '../conversation/messages';
import { noGroups, noPeople } from '../groups';
import { dispatch } from './dispatch';
import { parseStreamEvent } from './events';
import type { DispatchState } from './outcome';

const MARIA = 3;
const ivan: Person = { id: 2, name: 'Иван Петров', role: 'teacher' };
const nina: Person = { id: 5, name: 'Нина Новикова', role: 'teacher' };

/** Мария's chat with Иван, who left the school, as her `GET /api/chats` lists it. */
const departed: ChatSummary = {
  id: 10,
  kind: 'direct',
  title: null,
  context: null,
  created_by: null,
  updated_at: '2025-01-17T15:00:00Z',
  participants_count: 2,
  guardians_read: false,
  announcement: false,
  audience: null,
  recipients: null,
  subjects: [],
  children: [],
  teacher_departed: true,
  ward: null,
  ward_only: false,
  closed_at: null,
  participant: { ...ivan, online: false, last_seen: null },
  last_message: null,
  unread_count: 0,
  last_read_message_id: 0,
  muted: false,
  participant_departed: false,
  archived: false,
};

function student(patch: Partial<DispatchState> = {}): DispatchState {
  return {
    me: MARIA,
    isAdmin: false,
    isGuest: false,
    isGuardian: false,
    chatList: { items: [fromSummary(departed)] },
    conversations: { 10: emptyConversation(10) },
    groups: noGroups,
    people: noPeople,
    openChatId: 10,
    readingChatId: null,
    now: 5_000,
    ...patch,
  };
}

describe('departures', () => {
  it("says a departed teacher's chat is read-only, from the list's header", () => {
    expect(fromSummary(departed).teacherDeparted).toBe(true);
    expect(fromSummary({ ...departed, teacher_departed: false }).teacherDeparted).toBe(false);
    // A teacher's archived chat with a student who left says so.
    expect(fromSummary({ ...departed, participant_departed: true }).participantDeparted).toBe(true);
    expect(fromSummary(departed).participantDeparted).toBe(false);
  });

  it('parses chat_handed_over, and refuses it malformed', () => {
    const data = { chat_id: 10, from_teacher_id: ivan.id, to_teacher: nina, actor_id: 9 };
    expect(parseStreamEvent('chat_handed_over', JSON.stringify(data), '70')).toEqual({
      type: 'chat_handed_over',
      position: 70,
      chatId: 10,
      fromTeacherId: ivan.id,
      toTeacher: nina,
    });
    expect(parseStreamEvent('chat_handed_over', JSON.stringify({ ...data, to_teacher: 5 }), '71')).toBeNull();
  });

  it('a hand-over fetches the list again (it names the successor) and knows the successor', () => {
    const event = { type: 'chat_handed_over', position: 70, chatId: 10, fromTeacherId: ivan.id, toTeacher: nina } as const;
    const outcome = dispatch(event, student());
    expect(outcome.effects).toEqual([{ type: 'refreshChats' }]);
    expect(outcome.people).toEqual([nina]);
  });
});
