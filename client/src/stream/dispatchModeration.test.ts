import { describe, expect, it } from 'vitest';

import type { ReportView } from '../api';
import { chatListReducer, initialChatList } from '../chats/chatList';
import { fromSummary } from '../chats/items';
import type { ChatItem } from '../chats/model';
import { dispatch } from './dispatch';
import type { DispatchState, Outcome } from './outcome';
import { type StreamEvent, parseStreamEvent } from './events';
import { noGroups, noPeople } from '../groups';
import { type Conversations, conversationsReducer, emptyConversation } from '../conversation/messages';
import type { WireMessage } from '../conversation/model';
import { initialModeration, moderationReducer } from '../moderation/moderation';

const ME = 1;
const ADMIN = 99;
const ivan = { id: 2, name: 'Иван Петров', role: 'teacher' as const };
const CHAT = 10;

const direct: ChatItem = fromSummary({
  id: CHAT,
  kind: 'direct',
  title: null,
  context: null,
  subjects: [],
  children: [],
  created_by: null,
  updated_at: '2025-01-17T15:00:00Z',
  participants_count: 2,
  guardians_read: false,
  announcement: false,
  teacher_departed: false,
  audience: null,
  recipients: null,
  closed_at: null,
  ward: null,
  ward_only: false,
  participant: { ...ivan, online: false, last_seen: null },
  last_message: {
    id: 7,
    sender_id: ivan.id,
    sender_name: null,
    content: 'rude words',
    created_at: '2025-01-17T15:00:00Z',
    type: 'text',
    removed: null,
  },
  unread_count: 0,
  last_read_message_id: 7,
  muted: false,
  participant_departed: false,
  archived: false,
});

const wire = (id: number, content: string): WireMessage => ({
  id,
  sender_id: ivan.id,
  content,
  created_at: '2025-01-17T15:00:00Z',
});

/** A conversation with messages 6 and 7 loaded. */
function conversations(): Conversations {
  const opened = conversationsReducer({}, { type: 'opened', chatId: CHAT });
  return conversationsReducer(opened, {
    type: 'chat',
    chatId: CHAT,
    action: { type: 'snapshot', messages: [wire(6, 'hello'), wire(7, 'rude words')], hasMore: false },
  });
}

function state(patch: Partial<DispatchState> = {}): DispatchState {
  return {
    me: ME,
    isAdmin: false,
    isGuest: false,
    isGuardian: false,
    chatList: { items: [direct] },
    conversations: conversations(),
    groups: noGroups,
    people: noPeople,
    openChatId: CHAT,
    readingChatId: null,
    now: Date.parse('2025-01-17T18:00:00Z'),
    ...patch,
  };
}
const admin = (patch: Partial<DispatchState> = {}) => state({ me: ADMIN, isAdmin: true, ...patch });

/** What the tab shows after `out`: the conversation's messages and the list's last line. */
function applied(out: Outcome, from: DispatchState) {
  const convs = out.conversations.reduce(conversationsReducer, from.conversations);
  const list = out.chats.reduce(chatListReducer, { ...initialChatList, status: 'ready' as const, items: [direct] });
  return { messages: convs[CHAT]!.messages, last: list.items[0]!.lastMessage };
}

/** A frame as the server sends it, through the parser. */
function frame(type: string, data: unknown, id = 200): StreamEvent {
  const event = parseStreamEvent(type, JSON.stringify(data), String(id));
  if (!event) throw new Error(`${type} did not parse`);
  return event;
}

const hiddenForAdmins = { hidden_at: '2025-01-17T17:00:00Z', hidden_by: ADMIN, reason: 'insults' };

describe('message_hidden', () => {
  it('turns the message into the placeholder for a participant: no content, and the last line says so', () => {
    const event = frame('message_hidden', { chat_id: CHAT, message_id: 7, hidden: { hidden_at: '2025-01-17T17:00:00Z', hidden_by: null, reason: null } });
    const from = state();
    const out = dispatch(event, from);
    const { messages, last } = applied(out, from);
    expect(messages[1]).toMatchObject({ id: 7, content: '', hidden: { hidden_at: '2025-01-17T17:00:00Z', hidden_by: null, reason: null } });
    expect(messages[0]).toMatchObject({ id: 6, content: 'hello', hidden: null });
    expect(last).toMatchObject({ id: 7, content: '', removed: { kind: 'hidden' } });
    expect(out.moderation).toEqual([]); // participants have no moderation view
  });

  it('keeps the content for an admin, marked hidden, and resolves its reports', () => {
    const event = frame('message_hidden', { chat_id: CHAT, message_id: 7, hidden: hiddenForAdmins });
    const from = admin();
    const out = dispatch(event, from);
    expect(applied(out, from).messages[1]).toMatchObject({ content: 'rude words', hidden: hiddenForAdmins });
    expect(out.moderation).toEqual([{ type: 'messageHidden', messageId: 7, hidden: hiddenForAdmins }]);
  });

  it('is dropped when malformed', () => {
    expect(parseStreamEvent('message_hidden', JSON.stringify({ chat_id: CHAT, message_id: 7 }), '200')).toBeNull();
    expect(parseStreamEvent('message_hidden', JSON.stringify({ chat_id: CHAT, message_id: 7, hidden: { hidden_at: 'soon' } }), '200')).toBeNull();
  });
});

describe('message_unhidden', () => {
  it('puts the whole message back, in the conversation and the last line', () => {
    const hidden = frame('message_hidden', { chat_id: CHAT, message_id: 7, hidden: { hidden_at: '2025-01-17T17:00:00Z', hidden_by: null, reason: null } }, 200);
    const from = state();
    const afterHide = dispatch(hidden, from);
    const between = { ...from, conversations: afterHide.conversations.reduce(conversationsReducer, from.conversations) };
    const back = frame('message_unhidden', { chat_id: CHAT, message: { ...wire(7, 'rude words'), hidden: null, purged: null } }, 201);
    const out = dispatch(back, between);
    const convs = out.conversations.reduce(conversationsReducer, between.conversations);
    expect(convs[CHAT]!.messages[1]).toMatchObject({ id: 7, content: 'rude words', hidden: null });
    const list = [...afterHide.chats, ...out.chats].reduce(chatListReducer, {
      ...initialChatList,
      status: 'ready' as const,
      items: [direct],
    });
    expect(list.items[0]!.lastMessage).toMatchObject({ content: 'rude words', removed: null });
  });
});

describe('messages_purged', () => {
  it('turns each message into the purged placeholder, for everyone', () => {
    const purged = { purged_at: '2025-01-18T00:00:00Z', cause: 'retention' };
    const event = frame('messages_purged', { chat_id: CHAT, message_ids: [6, 7], purged });
    for (const from of [state(), admin()]) {
      const { messages, last } = applied(dispatch(event, from), from);
      expect(messages.map((m) => [m.content, m.purged?.cause])).toEqual([
        ['', 'retention'],
        ['', 'retention'],
      ]);
      expect(last).toMatchObject({ removed: { kind: 'purged', cause: 'retention' } });
    }
  });
});

describe('message_reported', () => {
  const report: ReportView = {
    id: 3,
    chat: { id: CHAT, kind: 'direct', title: null },
    message: {
      id: 7,
      sender: ivan,
      content: 'rude words',
      created_at: '2025-01-17T15:00:00Z',
      is_deleted: false,
      hidden: null,
      purged: null,
      attachments: [],
    },
    flag: null,
    reporter: { id: ME, name: 'Мария', role: 'student' },
    reason: 'insults',
    created_at: '2025-01-17T16:00:00Z',
    resolved_at: null,
    resolution: null,
  };

  it('goes on top of an admin’s open reports, live', () => {
    const out = dispatch(frame('message_reported', { report }), admin());
    const loaded = moderationReducer(initialModeration, {
      type: 'reportsLoaded',
      filter: 'open',
      reports: [{ ...report, id: 2 }],
      nextCursor: null,
    });
    const after = out.moderation.reduce(moderationReducer, loaded);
    expect(after.open.items.map((r) => r.id)).toEqual([3, 2]);
  });

  it('is dropped when the report is malformed', () => {
    const broken = { ...report, reporter: { id: ME } };
    expect(parseStreamEvent('message_reported', JSON.stringify({ report: broken }), '200')).toBeNull();
  });
});

describe('suspensions', () => {
  it('show on an admin’s people', () => {
    const out = dispatch(frame('user_suspended', { user_id: 5, until: null, reason: 'spam' }), admin());
    expect(out.moderation).toEqual([{ type: 'userSuspended', userId: 5, suspended: { until: null, reason: 'spam' } }]);
    expect(out.effects).toEqual([]);
    const back = dispatch(frame('user_unsuspended', { user_id: 5 }), admin());
    expect(back.moderation).toEqual([{ type: 'userUnsuspended', userId: 5 }]);
  });

  it('of our own account ask the server what it is now; of someone else, nothing for a participant', () => {
    const ours = dispatch(frame('user_suspended', { user_id: ME, until: '2025-02-01T00:00:00Z', reason: 'spam' }), state());
    expect(ours.effects).toEqual([{ type: 'checkSuspension' }]);
    expect(ours.moderation).toEqual([]);
    expect(dispatch(frame('user_unsuspended', { user_id: ME }), state()).effects).toEqual([{ type: 'checkSuspension' }]);
    expect(dispatch(frame('user_suspended', { user_id: 5, until: null, reason: 'x' }), state()).effects).toEqual([]);
  });
});

describe('other events of moderation', () => {
  it('mark an erasure asked for, then done, on an admin’s people, and change nothing for an export', () => {
    const asked = dispatch(frame('user_erasure_requested', { user_id: 5 }), admin());
    expect(asked.moderation).toEqual([{ type: 'erasureStarted', userId: 5, requestedAt: '2025-01-17T18:00:00.000Z' }]);
    expect(dispatch(frame('user_erasure_requested', { user_id: 5 }), state()).moderation).toEqual([]);
    const erased = dispatch(frame('user_erased', { user_id: 5 }), admin());
    expect(erased.moderation).toEqual([{ type: 'userErased', userId: 5, at: '2025-01-17T18:00:00.000Z' }]);
    const exported = dispatch(
      frame('chat_exported', { chat_id: CHAT, actor_id: ADMIN, format: 'pdf', at: '2025-01-17T18:00:00Z' }),
      admin(),
    );
    expect(Object.values(exported).every((list) => list.length === 0)).toBe(true);
    // Whoever exported it may be unknown (null); still an event, still nothing to change.
    expect(frame('chat_exported', { chat_id: CHAT, actor_id: null, format: 'json', at: '2025-01-17T18:00:00Z' })).toMatchObject({
      type: 'chat_exported',
      actorId: null,
    });
  });

  it('are ignored when this client does not know them', () => {
    expect(parseStreamEvent('message_pinned', JSON.stringify({ chat_id: CHAT, message_id: 7 }), '200')).toBeNull();
  });

  it('resolve a deleted message’s reports for admins, and load the reports again after a reset', () => {
    const deleted = dispatch({ type: 'message_deleted', position: 200, chatId: CHAT, messageId: 7 }, admin());
    expect(deleted.moderation).toEqual([{ type: 'messageDeleted', messageId: 7 }]);
    const reset = dispatch({ type: 'reset', position: 3, reason: 'reload' }, admin({ openChatId: null }));
    expect(reset.effects).toContainEqual({ type: 'reloadReports' });
    expect(dispatch({ type: 'reset', position: 3, reason: 'reload' }, state()).effects).not.toContainEqual({
      type: 'reloadReports',
    });
  });
});

// The conversation used above really is loaded (not an empty one the reducers would skip).
it('starts from a loaded conversation', () => {
  expect(emptyConversation(CHAT).status).toBe('loading');
  expect(conversations()[CHAT]!.status).toBe('ready');
});
