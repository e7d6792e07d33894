import { describe, expect, it } from 'vitest';

import type { ChatSummary, Person } from '../api';
import { chatListReducer, initialChatList } from '../chats/chatList';
import { fromSummary } from '../chats/items';
import { emptyConversation } from '../conversation/messages';
import { noGroups, noPeople } from '../groups';
import { dispatch, streamOpened } from './dispatch';
import type { StreamEvent } from './events';
import type { DispatchState } from './outcome';

const ELENA = 7;
const ADMIN = 9;
const ivan: Person = { id: 2, name: 'Иван Петров', role: 'teacher' };
const maria: Person = { id: 3, name: 'Мария Иванова', role: 'student' };
const alex: Person = { id: 4, name: 'Alex Kim', role: 'student' };

/** A chat of `ward` with Иван, as a guardian's `GET /api/chats` lists it. */
function ofChild(id: number, ward: Person): ChatSummary {
  return {
    id,
    kind: 'direct',
    title: null,
    context: null,
    subjects: [],
    children: [],
    created_by: null,
    updated_at: '2025-01-17T15:00:00Z',
    participants_count: 2,
    guardians_read: true,
    announcement: false,
    teacher_departed: false,
    audience: null,
    recipients: null,
    ward,
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
}

const mariasChat = fromSummary(ofChild(10, maria));
const alexsChat = fromSummary(ofChild(11, alex));

/** Елена's tab: her two children's chats listed, Мария's open. */
function guardian(patch: Partial<DispatchState> = {}): DispatchState {
  return {
    me: ELENA,
    isAdmin: false,
    isGuest: false,
    isGuardian: true,
    chatList: { items: [mariasChat, alexsChat] },
    conversations: { 10: emptyConversation(10) },
    groups: noGroups,
    people: noPeople,
    openChatId: 10,
    readingChatId: null,
    now: 5_000,
    ...patch,
  };
}

const linking = (type: 'guardian_linked' | 'guardian_unlinked', studentId: number): StreamEvent => ({
  type,
  position: 200,
  guardianId: ELENA,
  studentId,
});

describe('dispatch: a guardian', () => {
  it('counts nothing unread: they keep no read marker', () => {
    const event: StreamEvent = {
      type: 'new_message',
      position: 101,
      chatId: 10,
      message: { id: 50, sender_id: ivan.id, content: 'Домашнее задание', created_at: '2025-01-17T16:00:00Z' },
    };
    const out = dispatch(event, guardian());
    const list = out.chats.reduce(chatListReducer, { ...initialChatList, status: 'ready', items: [mariasChat, alexsChat] });
    expect(list.items[0]).toMatchObject({ id: 10, unread: 0, lastMessage: { id: 50 } });
    expect(out.conversations).toEqual([{ type: 'chat', chatId: 10, action: { type: 'received', message: event.message } }]);
  });

  it('loads the list anew when linked to another child', () => {
    expect(dispatch(linking('guardian_linked', 5), guardian())).toMatchObject({
      chats: [],
      conversations: [],
      effects: [{ type: 'reloadChats' }],
    });
  });

  it("unlinked from a child: forgets that child's chats, closes the open one, and loads the list anew", () => {
    expect(dispatch(linking('guardian_unlinked', maria.id), guardian())).toMatchObject({
      conversations: [{ type: 'forgot', chatId: 10 }],
      effects: [{ type: 'closeChat' }, { type: 'reloadChats' }],
    });
    // Another child's chat open: it stays open.
    expect(dispatch(linking('guardian_unlinked', alex.id), guardian())).toMatchObject({
      conversations: [{ type: 'forgot', chatId: 11 }],
      effects: [{ type: 'reloadChats' }],
    });
  });
});

describe('dispatch: an admin learns of a link', () => {
  it('fetches the list again: which chats guardians read changed', () => {
    const admin = guardian({ me: ADMIN, isAdmin: true, isGuardian: false });
    for (const type of ['guardian_linked', 'guardian_unlinked'] as const) {
      expect(dispatch(linking(type, maria.id), admin)).toMatchObject({ conversations: [], effects: [{ type: 'refreshChats' }] });
    }
  });
});

describe('a guardian reading a group, their child\'s messages only (GUARDIAN_GROUPS=own_messages)', () => {
  const classChat = fromSummary({
    ...ofChild(12, maria),
    kind: 'group',
    title: '7Б',
    participant: null,
    ward_only: true,
  });

  it('is marked so from the server\'s ward_only, and never asks for the group\'s members', () => {
    expect(classChat).toMatchObject({ kind: 'group', ward: maria, wardOnly: true, people: [] });
    expect(mariasChat.wardOnly).toBe(false);
    const open = guardian({ chatList: { items: [mariasChat, classChat] }, openChatId: 12 });
    expect(streamOpened(open)).not.toContainEqual({ type: 'loadGroup', chatId: 12 });
    // A member's open group still loads its members.
    const member = { ...open, isGuardian: false, me: maria.id, chatList: { items: [{ ...classChat, wardOnly: false }] } };
    expect(streamOpened(member)).toContainEqual({ type: 'loadGroup', chatId: 12 });
  });
});

describe('dispatch: closure requests', () => {
  it('has what shows them read again, and touches no chat: a request is not the chat’s news', () => {
    for (const type of ['closure_requested', 'closure_declined'] as const) {
      const event: StreamEvent = { type, position: 300, chatId: 10, requestId: 290 };
      for (const state of [guardian(), guardian({ me: ADMIN, isAdmin: true, isGuardian: false })]) {
        expect(dispatch(event, state)).toMatchObject({ chats: [], conversations: [], effects: [{ type: 'closuresChanged' }] });
      }
    }
  });
});
