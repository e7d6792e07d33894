import { describe, expect, it } from 'vitest';

import type { ChatSummary } from '../api';
import { chatListReducer, initialChatList } from '../chats/chatList';
import { fromSummary } from '../chats/items';
import type { ChatItem } from '../chats/model';
import { dispatch, streamOpened } from './dispatch';
import type { DispatchState, Effect } from './outcome';
import type { StreamEvent } from './events';
import { noGroups, noPeople } from '../groups';
import { type Conversations, emptyConversation } from '../conversation/messages';

const ME = 1;
const ivan = { id: 2, name: 'Иван Петров', role: 'teacher' as const };
const alex = { id: 3, name: 'Alex Kim', role: 'student' as const };
const maria = { id: 4, name: 'Мария Иванова', role: 'student' as const };

const DIRECT = 10;
const GROUP = 20;
const INQUIRY = 30;

function summary(id: number, patch: Partial<ChatSummary> = {}): ChatSummary {
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
    closed_at: null,
    guardians_read: false,
    announcement: false,
    teacher_departed: false,
    audience: null,
    recipients: null,
    ward: null,
    ward_only: false,
    participant: { ...ivan, online: false, last_seen: null },
    last_message: null,
    unread_count: 0,
    last_read_message_id: 0,
    muted: false,
    participant_departed: false,
    archived: false,
    ...patch,
  };
}

const direct = fromSummary(summary(DIRECT));
const group = fromSummary(
  summary(GROUP, { kind: 'group', title: 'Алгебра', participant: null, participants_count: 3 }),
);

/** A participant (Мария's tab, say) with a direct chat and a group listed, nothing open. */
function state(patch: Partial<DispatchState> = {}): DispatchState {
  return {
    me: ME,
    isAdmin: false,
    isGuest: false,
    isGuardian: false,
    chatList: { items: [direct, group] },
    conversations: {},
    groups: noGroups,
    people: noPeople,
    openChatId: null,
    readingChatId: null,
    now: 5_000,
    ...patch,
  };
}

const message = (id: number, senderId: number, content = `message ${id}`) => ({
  id,
  sender_id: senderId,
  content,
  created_at: '2025-01-17T16:00:00Z',
});

const newMessage = (chatId: number, senderId: number, position = 101): StreamEvent => ({
  type: 'new_message',
  position,
  chatId,
  message: message(position * 10, senderId),
});

const refresh: Effect = { type: 'refreshChats' };

const closing = (chatId: number): StreamEvent => ({
  type: 'chat_closed',
  position: 112,
  chatId,
  closedAt: '2025-01-17T17:00:00Z',
  reason: 'idle',
});

describe('dispatch: messages', () => {
  it('puts a new message in its conversation, at the top of the list, and clears its sender’s typing', () => {
    const out = dispatch(newMessage(DIRECT, ivan.id), state({ readingChatId: DIRECT }));
    expect(out.conversations).toEqual([
      { type: 'chat', chatId: DIRECT, action: { type: 'received', message: message(1010, ivan.id) } },
    ]);
    expect(out.typing).toEqual([{ type: 'message', chatId: DIRECT, userId: ivan.id }]);
    expect(out.chats).toEqual([
      {
        type: 'newMessage',
        chatId: DIRECT,
        message: {
          id: 1010,
          senderId: ivan.id,
          senderName: null,
          content: 'message 1010',
          createdAt: '2025-01-17T16:00:00Z',
          type: 'text',
          attachments: [],
        },
        position: 101,
        me: ME,
        readingChatId: DIRECT,
      },
    ]);
    expect(out.effects).toEqual([]);
  });

  it('derives the type of a message with files, and the list shows it', () => {
    const png = { id: 5, name: 'a.png', content_type: 'image/png', size: 10, sha256: 'ab' };
    const event: StreamEvent = {
      type: 'new_message',
      position: 102,
      chatId: DIRECT,
      message: { ...message(1020, ivan.id, ''), attachments: [png] },
    };
    const [action] = dispatch(event, state()).chats;
    expect(action).toMatchObject({ type: 'newMessage', message: { type: 'image', attachments: [png] } });
    const list = chatListReducer({ ...initialChatList, status: 'ready', items: [group, direct] }, action!);
    expect(list.items.map((i) => i.id)).toEqual([DIRECT, GROUP]);
    expect(list.items[0]).toMatchObject({ unread: 1, lastMessage: { id: 1020, type: 'image' } });
  });

  it('fetches the list again for a message in a chat it does not list yet', () => {
    expect(dispatch(newMessage(99, ivan.id), state()).effects).toEqual([refresh]);
  });

  it('names a group’s sender it knows, and fetches the list for one it cannot name', () => {
    const known = state({ people: new Map([[alex.id, alex]]) });
    const named = dispatch(newMessage(GROUP, alex.id), known);
    expect(named.chats[0]).toMatchObject({ message: { senderName: 'Alex Kim' } });
    expect(named.effects).toEqual([]);
    const stranger = dispatch(newMessage(GROUP, maria.id), known);
    expect(stranger.chats[0]).toMatchObject({ message: { senderName: null } });
    expect(stranger.effects).toEqual([refresh]);
    // Our own message needs no name.
    expect(dispatch(newMessage(GROUP, ME), state()).effects).toEqual([]);
  });

  it('removes a deleted message and fetches the list again (preview, counts, order)', () => {
    const out = dispatch({ type: 'message_deleted', position: 103, chatId: DIRECT, messageId: 7 }, state());
    expect(out.conversations).toEqual([{ type: 'chat', chatId: DIRECT, action: { type: 'deleted', id: 7 } }]);
    expect(out.chats).toEqual([]);
    expect(out.effects).toEqual([refresh]);
  });

  it('gives an edited message its new text in the conversation and in the list’s preview', () => {
    const edited = { ...message(7, ivan.id, 'fixed'), is_edited: true, edited_at: '2025-01-17T16:01:00Z' };
    const out = dispatch({ type: 'message_edited', position: 104, chatId: DIRECT, message: edited }, state());
    expect(out.conversations).toEqual([{ type: 'chat', chatId: DIRECT, action: { type: 'edited', message: edited } }]);
    expect(out.chats).toEqual([{ type: 'messageEdited', chatId: DIRECT, messageId: 7, content: 'fixed' }]);
    expect(out.effects).toEqual([]);
  });
});

describe('dispatch: read markers', () => {
  const readBy = (userId: number): StreamEvent => ({
    type: 'messages_read',
    position: 105,
    chatId: DIRECT,
    userId,
    upTo: 70,
    readAt: '2025-01-17T16:02:00Z',
  });

  it('shows the partner’s read as ticks and leaves the badge alone', () => {
    const out = dispatch(readBy(ivan.id), state());
    expect(out.conversations).toEqual([
      { type: 'chat', chatId: DIRECT, action: { type: 'readBy', userId: ivan.id, upTo: 70 } },
    ]);
    expect(out.chats).toEqual([]);
  });

  it('moves our badge with our own read, from any tab', () => {
    const out = dispatch(readBy(ME), state());
    expect(out.chats).toEqual([{ type: 'read', chatId: DIRECT, upTo: 70, position: 105 }]);
    expect(out.effects).toEqual([]);
  });
});

describe('dispatch: chats and groups', () => {
  const created: ChatItem = fromSummary(summary(30, { participant: { ...alex, online: false, last_seen: null } }));

  it('lists a new chat, remembers its people and fetches the list for their presence', () => {
    const out = dispatch({ type: 'chat_created', position: 106, chat: created }, state());
    expect(out.chats).toEqual([{ type: 'chatCreated', item: created, position: 106 }]);
    expect(out.people).toEqual([alex]);
    expect(out.effects).toEqual([refresh]);
  });

  it('lists a new chat for an admin without fetching anything (no presence in their list)', () => {
    expect(dispatch({ type: 'chat_created', position: 106, chat: created }, state({ isAdmin: true })).effects).toEqual(
      [],
    );
  });

  it('adds a member: the group’s members, a system line, the count, and their name', () => {
    const out = dispatch(
      { type: 'participant_added', position: 107, chatId: GROUP, user: alex, actorId: ivan.id },
      state(),
    );
    expect(out.groups).toEqual([{ type: 'event', chatId: GROUP, event: { type: 'added', position: 107, user: alex } }]);
    expect(out.conversations).toEqual([
      {
        type: 'chat',
        chatId: GROUP,
        action: {
          type: 'notice',
          notice: { position: 107, kind: 'added', userId: alex.id, actorId: ivan.id, title: null },
          me: ME,
        },
      },
    ]);
    expect(out.chats).toEqual([{ type: 'participantAdded', chatId: GROUP, user: alex, position: 107, me: ME }]);
    expect(out.people).toEqual([alex]);
    expect(out.effects).toEqual([]);
  });

  it('fetches the list when we are added, so the group appears', () => {
    const me = { id: ME, name: 'Мария', role: 'student' as const };
    const out = dispatch({ type: 'participant_added', position: 108, chatId: 40, user: me, actorId: ivan.id }, state());
    expect(out.effects).toEqual([refresh]);
    expect(out.conversations.some((a) => a.type === 'forgot')).toBe(false);
  });

  it('starts an open group we rejoin again from now: forgotten, then loaded', () => {
    const me = { id: ME, name: 'Мария', role: 'student' as const };
    const left: Conversations = { [GROUP]: { ...emptyConversation(GROUP), membership: 'removed' } };
    const event: StreamEvent = { type: 'participant_added', position: 109, chatId: GROUP, user: me, actorId: ivan.id };
    const open = dispatch(event, state({ conversations: left, openChatId: GROUP }));
    expect(open.conversations.at(-1)).toEqual({ type: 'forgot', chatId: GROUP });
    expect(open.effects).toEqual([refresh, { type: 'loadConversation', chatId: GROUP }]);
    // Not open: it loads when it is opened.
    const closed = dispatch(event, state({ conversations: left }));
    expect(closed.conversations.at(-1)).toEqual({ type: 'forgot', chatId: GROUP });
    expect(closed.effects).toEqual([refresh]);
  });

  it('removes a member: the group’s members, a system line, the count, and their typing', () => {
    const out = dispatch(
      { type: 'participant_removed', position: 110, chatId: GROUP, userId: alex.id, actorId: ivan.id },
      state(),
    );
    expect(out.groups).toEqual([
      { type: 'event', chatId: GROUP, event: { type: 'removed', position: 110, userId: alex.id } },
    ]);
    expect(out.conversations[0]).toMatchObject({
      chatId: GROUP,
      action: { type: 'notice', notice: { kind: 'removed', userId: alex.id } },
    });
    expect(out.chats).toEqual([
      { type: 'participantRemoved', chatId: GROUP, userId: alex.id, actorId: ivan.id, position: 110, me: ME },
    ]);
    expect(out.typing).toEqual([{ type: 'message', chatId: GROUP, userId: alex.id }]);
    expect(out.effects).toEqual([]);
  });

  it('renames a group in its members, its conversation and the list', () => {
    const out = dispatch(
      { type: 'chat_renamed', position: 111, chatId: GROUP, title: 'Геометрия', actorId: ivan.id },
      state(),
    );
    expect(out.groups).toEqual([
      { type: 'event', chatId: GROUP, event: { type: 'renamed', position: 111, title: 'Геометрия' } },
    ]);
    expect(out.conversations[0]).toMatchObject({
      action: { type: 'notice', notice: { kind: 'renamed', title: 'Геометрия', userId: null } },
    });
    expect(out.chats).toEqual([{ type: 'chatRenamed', chatId: GROUP, title: 'Геометрия', position: 111 }]);
  });

  it('closes an inquiry, and fetches the list when it does not list it yet', () => {
    const listed = dispatch(closing(DIRECT), state());
    expect(listed.chats).toEqual([
      { type: 'chatClosed', chatId: DIRECT, closedAt: '2025-01-17T17:00:00Z', position: 112, reason: 'idle' },
    ]);
    expect(listed.effects).toEqual([]);
    expect(dispatch(closing(99), state()).effects).toEqual([refresh]);
  });

  it("ends a guest's session when their chat closes, and asks for nothing more", () => {
    const GUEST = 40;
    const inquiry = fromSummary(summary(INQUIRY, { kind: 'inquiry', title: 'Пробное занятие', participant: { ...ivan, online: false, last_seen: null } }));
    const guest = state({ me: GUEST, isGuest: true, chatList: { items: [inquiry] }, openChatId: INQUIRY });
    const out = dispatch(closing(INQUIRY), guest);
    // What is on screen stays: the chat is marked closed (read-only), the conversation kept.
    expect(out.chats).toEqual([
      { type: 'chatClosed', chatId: INQUIRY, closedAt: '2025-01-17T17:00:00Z', position: 112, reason: 'idle' },
    ]);
    expect(out.conversations).toEqual([]);
    expect(out.effects).toEqual([{ type: 'endSession' }]);
    // Also before their list has it (the stream carries only their chat): no refresh of the list.
    expect(dispatch(closing(INQUIRY), state({ me: GUEST, isGuest: true, chatList: { items: [] } })).effects).toEqual([
      { type: 'endSession' },
    ]);
  });

  it('never ends the session of a teacher or an admin: the closed inquiry stays to read', () => {
    const inquiry = fromSummary(summary(INQUIRY, { kind: 'inquiry', title: 'Пробное занятие', participant: { ...maria, online: false, last_seen: null } }));
    const teacher = state({ me: ivan.id, chatList: { items: [inquiry] }, openChatId: INQUIRY });
    expect(dispatch(closing(INQUIRY), teacher).effects).toEqual([]);
    expect(dispatch(closing(INQUIRY), { ...teacher, isAdmin: true }).effects).toEqual([]);
  });
});

describe('dispatch: reset', () => {
  const reset: StreamEvent = { type: 'reset', position: 3, reason: 'reload' };

  it('keeps only the open conversation and loads the list, it and its group again', () => {
    const groups = { [GROUP]: { details: null, journal: [] } };
    const out = dispatch(reset, state({ openChatId: GROUP, groups }));
    expect(out.conversations).toEqual([{ type: 'keptOnly', chatId: GROUP }]);
    expect(out.effects).toEqual([
      { type: 'reloadChats' },
      { type: 'loadConversation', chatId: GROUP },
      { type: 'loadGroup', chatId: GROUP },
    ]);
  });

  it('loads only the list when nothing is open, and no group for a direct chat', () => {
    expect(dispatch(reset, state()).effects).toEqual([{ type: 'reloadChats' }]);
    expect(dispatch(reset, state()).conversations).toEqual([{ type: 'keptOnly', chatId: null }]);
    expect(dispatch(reset, state({ openChatId: DIRECT })).effects).toEqual([
      { type: 'reloadChats' },
      { type: 'loadConversation', chatId: DIRECT },
    ]);
  });
});

describe('dispatch: typing and presence', () => {
  const typing = (userId: number): StreamEvent => ({ type: 'typing', chatId: DIRECT, userId, isTyping: true });

  it('shows others typing, as of the time it arrived', () => {
    expect(dispatch(typing(ivan.id), state()).typing).toEqual([
      { type: 'typing', chatId: DIRECT, userId: ivan.id, isTyping: true, at: 5_000 },
    ]);
  });

  it('never shows our own typing, nor anything to an admin', () => {
    expect(dispatch(typing(ME), state()).typing).toEqual([]);
    expect(dispatch(typing(ivan.id), state({ isAdmin: true })).typing).toEqual([]);
  });

  it('records presence as of the time it arrived, without fetching anything', () => {
    const out = dispatch(
      { type: 'presence', userId: ivan.id, online: false, lastSeen: '2025-01-17T16:00:00Z' },
      state(),
    );
    expect(out.presence).toEqual([
      { type: 'event', userId: ivan.id, online: false, lastSeen: '2025-01-17T16:00:00Z', at: 5_000 },
    ]);
    expect(out.effects).toEqual([]);
    expect(out.chats).toEqual([]);
  });
});

describe('streamOpened', () => {
  // Participants' every (re)opening also asks whether their account was suspended meanwhile
  // (their stream ended with it); admins cannot be.
  const check: Effect = { type: 'checkSuspension' };

  it('fetches the list again for participants (their partners’ presence comes with it)', () => {
    expect(streamOpened(state())).toEqual([refresh, check]);
    expect(streamOpened(state({ openChatId: DIRECT }))).toEqual([refresh, check]);
  });

  it('fetches the open group’s members too, while we are one', () => {
    expect(streamOpened(state({ openChatId: GROUP }))).toEqual([{ type: 'loadGroup', chatId: GROUP }, refresh, check]);
    const dropped = { ...group, membership: 'removed' as const };
    expect(streamOpened(state({ openChatId: GROUP, chatList: { items: [dropped] } }))).toEqual([refresh, check]);
  });

  it('fetches the presence of the open chat’s two people for admins, and nothing without an open chat', () => {
    const both = { ...direct, people: [ivan, maria] };
    const admin = state({ isAdmin: true, chatList: { items: [both, group] } });
    expect(streamOpened({ ...admin, openChatId: DIRECT })).toEqual([
      { type: 'fetchPresence', userIds: [ivan.id, maria.id] },
    ]);
    expect(streamOpened(admin)).toEqual([]);
    expect(streamOpened({ ...admin, openChatId: GROUP })).toEqual([{ type: 'loadGroup', chatId: GROUP }]);
  });
});
