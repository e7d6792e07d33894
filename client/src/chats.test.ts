import { describe, expect, it } from 'vitest';

import type { AdminChat, ChatSummary, Person } from './api';
import {
  type ChatItem,
  type ChatList,
  type ChatListAction,
  canManage,
  chatListReducer,
  chatTitle,
  documentTitle,
  fromAdminChat,
  fromSummary,
  initialChatList,
  isClosed,
  mergeFound,
  needsRefetch,
  ownReadOutcome,
  unreadTotal,
} from './chats';
import { i18n } from './i18n';
import { lastLineText } from './removal';

const en = i18n.getFixedT('en');

const ME = 1;
const ivan = { id: 2, name: 'Иван Петров', role: 'teacher' as const };
const alex = { id: 3, name: 'Alex Kim', role: 'student' as const };

/** A chat whose last message has id `id * 10` (from the other participant). */
function summary(id: number, unread = 0, at: string | null = null, lastRead = 0): ChatSummary {
  const other = id === 10 ? ivan : alex;
  return {
    id,
    kind: 'direct',
    title: null,
    context: null,
    created_by: null,
    updated_at: at ?? '2025-01-10T12:00:00Z',
    participants_count: 2,
    closed_at: null,
    participant: { ...other, online: false, last_seen: null },
    last_message: at
      ? { id: id * 10, sender_id: other.id, sender_name: null, content: `last of ${id}`, created_at: at, type: 'text', removed: null }
      : null,
    unread_count: unread,
    last_read_message_id: lastRead,
  };
}

function run(actions: ChatListAction[], start: ChatList = initialChatList): ChatList {
  return actions.reduce(chatListReducer, start);
}

const order = (state: ChatList) => state.items.map((i) => i.id);
const item = (state: ChatList, id: number) => state.items.find((i) => i.id === id)!;

const snapshot = (items: ChatItem[], position = 100): ChatListAction => ({
  type: 'snapshot',
  items,
  position,
  mode: 'replace',
});

/** Message `position * 10` at log `position`. */
const message = (chatId: number, position: number, senderId = ivan.id, readingChatId: number | null = null) =>
  ({
    type: 'newMessage',
    chatId,
    message: {
      id: position * 10,
      senderId,
      senderName: null,
      content: `at ${position}`,
      createdAt: `2025-01-17T16:00:${String(position % 60).padStart(2, '0')}Z`,
    },
    position,
    me: ME,
    readingChatId,
  }) as const;

const read = (chatId: number, upTo: number, position: number | null = null): ChatListAction => ({
  type: 'read',
  chatId,
  upTo,
  position,
});

const twoChats = () =>
  run([snapshot([fromSummary(summary(10, 2, '2025-01-17T15:00:00Z')), fromSummary(summary(11, 0, '2025-01-16T15:00:00Z'))])]);

describe('chat list', () => {
  it("loads a snapshot with the server's unread counts and our read markers", () => {
    const state = run([snapshot([fromSummary(summary(10, 2)), fromSummary(summary(11, 4, null, 37))], 100)]);
    expect(state.status).toBe('ready');
    expect(order(state)).toEqual([10, 11]);
    expect(item(state, 10)).toMatchObject({ unread: 2, lastReadId: 0 });
    expect(item(state, 11)).toMatchObject({ unread: 4, lastReadId: 37 });
  });

  it('moves a chat with a new message to the top and bumps its badge', () => {
    const state = run([message(11, 101, alex.id)], twoChats());
    expect(order(state)).toEqual([11, 10]);
    expect(item(state, 11)).toMatchObject({ unread: 1, lastMessage: { content: 'at 101' }, position: 101 });
  });

  it('does not bump the badge of the chat being read, nor for our own messages', () => {
    const reading = run([message(11, 101, alex.id, 11)], twoChats());
    expect(item(reading, 11).unread).toBe(0);
    const own = run([message(10, 102, ME)], twoChats());
    expect(item(own, 10).unread).toBe(2);
    expect(order(own)).toEqual([10, 11]);
  });

  it('does not count again an event the snapshot already includes', () => {
    // The snapshot was read at position 100; the stream delivers event 100 afterwards.
    const state = run([message(11, 100, alex.id), message(11, 101, alex.id)], twoChats());
    expect(item(state, 11).unread).toBe(1);
  });

  it('applies an event delivered twice once', () => {
    const state = run([message(11, 101, alex.id), message(11, 101, alex.id)], twoChats());
    expect(item(state, 11).unread).toBe(1);
  });

  it('clears the badge when we read up to the last message, and moves the marker forward only', () => {
    const state = run([read(10, 100)], twoChats());
    expect(item(state, 10)).toMatchObject({ unread: 0, lastReadId: 100 });
    const back = run([read(10, 40)], state);
    expect(item(back, 10)).toMatchObject({ unread: 0, lastReadId: 100 });
  });

  it('keeps the count of a partial read but moves the marker and asks for the exact count', () => {
    const state = run([read(10, 95)], twoChats());
    expect(item(state, 10)).toMatchObject({ unread: 2, lastReadId: 95, unreadStale: true });
    expect(needsRefetch(state)).toBe(true);
    expect(needsRefetch(twoChats())).toBe(false);
  });

  it("applies messages_read for us once, and not when a snapshot read after it shows it", () => {
    const live = run([read(10, 100, 101)], twoChats());
    expect(item(live, 10)).toMatchObject({ unread: 0, lastReadId: 100, position: 101 });
    // The snapshot was read at 100: event 100 is in it already, so its read is not applied again.
    const old = run([message(10, 101), read(10, 1010, 100)], twoChats());
    expect(item(old, 10)).toMatchObject({ unread: 3, lastReadId: 0 });
  });

  it('clears the badge in every tab: messages_read from another tab of ours', () => {
    // This tab did not read; another tab did, up to the last message (1010).
    const other = run([message(10, 101), read(10, 1010, 102)], twoChats());
    expect(item(other, 10)).toMatchObject({ unread: 0, lastReadId: 1010 });
  });

  it('decides between clearing, refetching and nothing for messages_read of ours', () => {
    const chat = item(twoChats(), 10); // 2 unread, last message 100
    expect(ownReadOutcome(chat, 100)).toBe('cleared');
    expect(ownReadOutcome(chat, 150)).toBe('cleared');
    expect(ownReadOutcome(chat, 99)).toBe('refetch');
    expect(ownReadOutcome(item(twoChats(), 11), 5)).toBe('unchanged'); // nothing unread
    // Our own earlier read, echoed after a new message arrived: nothing new, no refetch.
    const after = run([read(10, 100), message(10, 101)], twoChats());
    expect(ownReadOutcome(item(after, 10), 100)).toBe('unchanged');
    expect(run([read(10, 100, 102)], after)).toMatchObject({ items: [{ id: 10, unread: 1, unreadStale: false }, { id: 11 }] });
  });

  it('counts the unread total for the title', () => {
    expect(unreadTotal(twoChats())).toBe(2);
    const more = run([message(11, 101, alex.id), message(11, 102, alex.id)], twoChats());
    expect(unreadTotal(more)).toBe(4);
    expect(unreadTotal(run([read(10, 100), read(11, 1020)], more))).toBe(0);
    expect(documentTitle(4, 'Tutorchat')).toBe('(4) Tutorchat');
    expect(documentTitle(0, 'Tutorchat')).toBe('Tutorchat');
  });

  it('follows an edit of the last message in the preview', () => {
    const state = run([{ type: 'messageEdited', chatId: 10, messageId: 100, content: 'fixed' }], twoChats());
    expect(item(state, 10).lastMessage?.content).toBe('fixed');
    const older = run([{ type: 'messageEdited', chatId: 10, messageId: 99, content: 'older' }], twoChats());
    expect(item(older, 10).lastMessage?.content).toBe('last of 10');
  });

  it('says in the last line that the last message was hidden or purged, and shows it again once unhidden', () => {
    const hidden = run([{ type: 'messagesRemoved', chatId: 10, messageIds: [100], removal: { kind: 'hidden' } }], twoChats());
    expect(item(hidden, 10).lastMessage).toMatchObject({ id: 100, content: '', removed: { kind: 'hidden' } });
    expect(lastLineText(item(hidden, 10).lastMessage!, en)).toBe('hidden by a moderator');
    // Another message of the chat: the last line stays.
    const other = run([{ type: 'messagesRemoved', chatId: 10, messageIds: [99], removal: { kind: 'hidden' } }], twoChats());
    expect(lastLineText(item(other, 10).lastMessage!, en)).toBe('last of 10');
    const back = run([{ type: 'messageRestored', chatId: 10, message: { id: 100, content: 'back', type: 'text' } }], hidden);
    expect(lastLineText(item(back, 10).lastMessage!, en)).toBe('back');
    const purged = run(
      [{ type: 'messagesRemoved', chatId: 10, messageIds: [5, 100], removal: { kind: 'purged', cause: 'retention' } }],
      hidden,
    );
    expect(lastLineText(item(purged, 10).lastMessage!, en)).toBe('message removed (retention period)');
    // Purged is for good: an unhide does not bring it back.
    const still = run([{ type: 'messageRestored', chatId: 10, message: { id: 100, content: 'back', type: 'text' } }], purged);
    expect(item(still, 10).lastMessage?.content).toBe('');
  });

  it('reads a hidden last message from the list', () => {
    const chat = summary(10, 0, '2025-01-17T16:00:00Z');
    const hiddenLast = { ...chat, last_message: { ...chat.last_message!, content: '', removed: 'hidden' as const } };
    expect(lastLineText(fromSummary(hiddenLast).lastMessage!, en)).toBe('hidden by a moderator');
    expect(fromSummary(chat).lastMessage?.removed ?? null).toBeNull();
  });

  it('adds a created chat at the top, once', () => {
    const created = fromSummary(summary(12));
    const state = run(
      [
        { type: 'chatCreated', item: created, position: 120 },
        { type: 'chatCreated', item: created, position: 120 },
      ],
      twoChats(),
    );
    expect(order(state)).toEqual([12, 10, 11]);
    expect(item(state, 12).position).toBe(120);
  });

  it('shows our saved message as the latest without touching counters, unless a newer one is already there', () => {
    const own = (id: number, content: string, createdAt: string) => ({ id, senderId: ME, senderName: null, content, createdAt });
    const saved = run(
      [{ type: 'ownMessageSaved', chatId: 11, message: own(200, 'mine', '2025-01-17T16:00:00Z') }],
      twoChats(),
    );
    expect(order(saved)).toEqual([11, 10]);
    expect(item(saved, 11)).toMatchObject({ unread: 0, lastMessage: { id: 200, content: 'mine' } });

    const late = run(
      [{ type: 'ownMessageSaved', chatId: 10, message: own(200, 'older', '2025-01-17T14:00:00Z') }],
      twoChats(),
    );
    expect(item(late, 10).lastMessage?.content).toBe('last of 10');

    // The stream's echo showed it first (and maybe an edit of it since): the answer changes nothing.
    const echoed = run(
      [message(11, 120, ME), { type: 'messageEdited', chatId: 11, messageId: 1200, content: 'edited' }],
      twoChats(),
    );
    const answered = run(
      [{ type: 'ownMessageSaved', chatId: 11, message: own(1200, 'at 120', '2025-01-17T16:00:00Z') }],
      echoed,
    );
    expect(item(answered, 11).lastMessage?.content).toBe('edited');
  });

  describe('refresh (merging a later snapshot)', () => {
    const refresh = (items: ChatItem[], position: number): ChatListAction => ({
      type: 'snapshot',
      items,
      position,
      mode: 'refresh',
    });

    it('takes the server preview but keeps what this tab has read and the server does not know yet', () => {
      const readHere = run([read(10, 100)], twoChats());
      const state = run(
        [refresh([fromSummary(summary(11, 0, '2025-01-16T15:00:00Z')), fromSummary(summary(10, 2, '2025-01-15T00:00:00Z'))], 105)],
        readHere,
      );
      expect(order(state)).toEqual([11, 10]);
      expect(item(state, 10)).toMatchObject({ unread: 0, lastReadId: 100 });
      expect(item(state, 10).lastMessage?.createdAt).toBe('2025-01-15T00:00:00Z');
    });

    it("takes the server's count after a partial read (the refetch), which can go down", () => {
      const partial = run([message(10, 101), message(10, 102), read(10, 100, 103)], twoChats());
      expect(item(partial, 10)).toMatchObject({ unread: 4, lastReadId: 100 });
      expect(needsRefetch(partial)).toBe(true);
      const state = run([refresh([fromSummary(summary(10, 2, '2025-01-17T16:00:42Z', 100))], 104)], partial);
      expect(item(state, 10)).toMatchObject({ unread: 2, lastReadId: 100, unreadStale: false });
      expect(needsRefetch(state)).toBe(false);
    });

    it('keeps items the stream updated after the snapshot was read', () => {
      const live = run([message(11, 130, alex.id)], twoChats());
      const state = run(
        [refresh([fromSummary(summary(10, 2, '2025-01-17T15:00:00Z')), fromSummary(summary(11, 0, '2025-01-16T15:00:00Z'))], 120)],
        live,
      );
      expect(order(state)).toEqual([11, 10]);
      expect(item(state, 11)).toMatchObject({ unread: 1, lastMessage: { content: 'at 130' }, position: 130 });
    });
  });

  it('replaces everything after a reset', () => {
    const live = run([message(11, 130, alex.id)], twoChats());
    const state = run([snapshot([fromSummary(summary(10, 5))], 3)], live);
    expect(order(state)).toEqual([10]);
    expect(item(state, 10).unread).toBe(5);
  });
});

describe('admin chat list', () => {
  const adminChat: AdminChat = {
    id: 10,
    kind: 'direct',
    title: null,
    context: null,
    created_by: null,
    updated_at: '2025-01-17T15:00:00Z',
    participants_count: 2,
    closed_at: null,
    participants: [{ id: 4, name: 'Мария Иванова', role: 'student' }, ivan],
    messages_count: 2,
    last_message_at: '2025-01-17T15:00:00Z',
  };

  it('shows both participants and counts messages instead of unread ones', () => {
    const state = run([snapshot([fromAdminChat(adminChat)]), message(10, 101, 4)]);
    const chat = item(state, 10);
    expect(chatTitle(chat, en)).toBe('Мария Иванова · Иван Петров');
    expect(chat).toMatchObject({ messagesCount: 3, unread: 0, lastMessage: null, lastActivityAt: '2025-01-17T16:00:41Z' });
  });

  it('calls a chat without a title or people by its id, in the words of the translator passed', () => {
    const nameless = { ...fromAdminChat({ ...adminChat, participants: [] }), id: 7 };
    expect(chatTitle(nameless, en)).toBe('Chat 7');
    expect(chatTitle(nameless, i18n.getFixedT('ru'))).toBe('Чат 7');
  });
});

describe('groups in the chat list', () => {
  const maria = { id: 4, name: 'Мария Иванова', role: 'student' as const };
  const course = { type: 'course', id: 12, title: 'ЕГЭ математика' };

  /** Group 20 ("Алгебра", owned by Иван, 3 members), its last message from Мария at log 100. */
  const group = (unread = 0): ChatSummary => ({
    id: 20,
    kind: 'group',
    title: 'Алгебра',
    context: course,
    created_by: ivan.id,
    updated_at: '2025-01-17T15:30:00Z',
    participants_count: 3,
    closed_at: null,
    participant: null,
    last_message: {
      id: 200,
      sender_id: maria.id,
      sender_name: maria.name,
      content: 'Готово',
      created_at: '2025-01-17T15:30:00Z',
      type: 'text',
      removed: null,
    },
    unread_count: unread,
    last_read_message_id: 0,
  });
  const withGroup = (unread = 0) =>
    run([snapshot([fromSummary(group(unread)), fromSummary(summary(10, 0, '2025-01-17T15:00:00Z'))])]);
  const added = (user: Person, position: number, me = ME, chatId = 20): ChatListAction => ({
    type: 'participantAdded',
    chatId,
    user,
    position,
    me,
  });
  const removed = (userId: number, actorId: number | null, position: number, me = ME): ChatListAction => ({
    type: 'participantRemoved',
    chatId: 20,
    userId,
    actorId,
    position,
    me,
  });

  it('reads a group: its title, context, owner, member count and the last sender, nobody as "the other participant"', () => {
    const chat = item(withGroup(), 20);
    expect(chat).toMatchObject({
      kind: 'group',
      title: 'Алгебра',
      context: course,
      createdBy: ivan.id,
      people: [],
      participantsCount: 3,
      membership: 'member',
      lastMessage: { senderId: maria.id, senderName: 'Мария Иванова', content: 'Готово' },
      lastActivityAt: '2025-01-17T15:30:00Z',
    });
    expect(chatTitle(chat, en)).toBe('Алгебра');
    expect(chatTitle(item(withGroup(), 10), en)).toBe('Иван Петров');
  });

  it("takes the last message's type (its text may be empty for a file or an image)", () => {
    const last = (patch: object) =>
      fromSummary({ ...group(), last_message: { ...group().last_message!, content: '', ...patch } }).lastMessage;
    expect(last({ type: 'image' })).toMatchObject({ content: '', type: 'image' });
    expect(last({ type: 'file' })).toMatchObject({ type: 'file' });
    expect(last({})).toMatchObject({ type: 'text' }); // a server before attachments
  });

  it('counts members as they are added and removed, once per event, and not what a snapshot already shows', () => {
    const state = run([added(alex, 101), added(alex, 101), removed(maria.id, ivan.id, 102)], withGroup());
    expect(item(state, 20)).toMatchObject({ participantsCount: 3, position: 102, membership: 'member' });
    expect(item(run([added(alex, 101)], withGroup()), 20).participantsCount).toBe(4);
    // The snapshot was read at 100: it counts the member that event 100 added.
    expect(run([added(alex, 100)], withGroup())).toEqual(withGroup());
    // A group not listed yet waits for the snapshot that lists it.
    expect(run([added(alex, 101, ME, 99)], withGroup())).toEqual(withGroup());
  });

  it('follows a new title', () => {
    const state = run([{ type: 'chatRenamed', chatId: 20, title: 'Алгебра, 9 класс', position: 101 }], withGroup());
    expect(chatTitle(item(state, 20), en)).toBe('Алгебра, 9 класс');
    const stale = run([{ type: 'chatRenamed', chatId: 20, title: 'Старое', position: 99 }], withGroup());
    expect(chatTitle(item(stale, 20), en)).toBe('Алгебра');
  });

  it('marks the group left or removed when it drops us, and its badge no longer counts', () => {
    const left = run([removed(ME, ME, 101)], withGroup(2));
    expect(item(left, 20)).toMatchObject({ membership: 'left', unread: 0, participantsCount: 2 });
    expect(unreadTotal(left)).toBe(0);
    const out = run([removed(ME, ivan.id, 101)], withGroup(2));
    expect(item(out, 20)).toMatchObject({ membership: 'removed', unread: 0 });
    // Someone else leaving changes only the count.
    expect(item(run([removed(maria.id, maria.id, 101)], withGroup(2)), 20)).toMatchObject({
      membership: 'member',
      unread: 2,
      participantsCount: 2,
    });
  });

  it('keeps a group that dropped us through a refresh (at the bottom), until a full load or we are back', () => {
    const out = run([removed(ME, ivan.id, 101)], withGroup());
    const refresh = (items: ChatItem[], position: number): ChatListAction => ({ type: 'snapshot', items, position, mode: 'refresh' });
    const refreshed = run([refresh([fromSummary(summary(11, 0, '2025-01-17T16:00:00Z')), fromSummary(summary(10))], 120)], out);
    expect(order(refreshed)).toEqual([11, 10, 20]);
    expect(item(refreshed, 20).membership).toBe('removed');
    expect(order(run([snapshot([fromSummary(summary(10))], 120)], out))).toEqual([10]);
    // Added again: the list is fetched again and shows the group as a member's.
    const back = run([added({ id: ME, name: 'Я', role: 'student' }, 130)], out);
    expect(item(back, 20)).toMatchObject({ membership: 'member', participantsCount: 3 });
    const rejoined = run([refresh([fromSummary(group()), fromSummary(summary(10))], 140)], back);
    expect(item(rejoined, 20).membership).toBe('member');
    expect(order(rejoined)).toEqual([20, 10]);
  });

  it('shows a group message with its sender for the preview and counts it as unread', () => {
    const state = run(
      [
        {
          type: 'newMessage',
          chatId: 20,
          message: { id: 300, senderId: alex.id, senderName: 'Alex Kim', content: 'Привет', createdAt: '2025-01-17T16:00:00Z' },
          position: 101,
          me: ME,
          readingChatId: null,
        },
      ],
      run([snapshot([fromSummary(summary(10, 0, '2025-01-17T15:45:00Z')), fromSummary(group())])]),
    );
    expect(order(state)).toEqual([20, 10]);
    expect(item(state, 20)).toMatchObject({ unread: 1, lastMessage: { senderName: 'Alex Kim', content: 'Привет' } });
  });

  it('lets its owner and admins manage a group, nobody a direct chat', () => {
    const chat = item(withGroup(), 20);
    expect(canManage(chat, ivan)).toBe(true);
    expect(canManage(chat, { id: 99, name: 'Ольга Админ', role: 'admin' })).toBe(true);
    expect(canManage(chat, { ...alex, role: 'teacher' })).toBe(false);
    expect(canManage(chat, maria)).toBe(false);
    expect(canManage(item(withGroup(), 10), { id: 99, name: 'Ольга Админ', role: 'admin' })).toBe(false);
  });

  it("keeps an admin's group members current, each member once", () => {
    const created: AdminChat = {
      id: 20,
      kind: 'group',
      title: 'Алгебра',
      context: null,
      created_by: ivan.id,
      updated_at: '2025-01-17T15:00:00Z',
      participants_count: 0,
      closed_at: null,
      participants: [],
      messages_count: 0,
      last_message_at: null,
    };
    const state = run(
      [
        snapshot([]),
        { type: 'chatCreated', item: fromAdminChat(created), position: 101 },
        added(ivan, 102, 99),
        added(maria, 103, 99),
        added(alex, 104, 99),
        removed(alex.id, ivan.id, 105, 99),
      ],
    );
    expect(item(state, 20)).toMatchObject({ people: [ivan, maria], participantsCount: 2, messagesCount: 0 });
    expect(item(state, 20).lastActivityAt).toBe('2025-01-17T15:00:00Z');
    expect(chatTitle(item(state, 20), en)).toBe('Алгебра');
    // An add of a member already shown (a snapshot read after it) counts nothing.
    expect(item(run([added(maria, 106, 99)], state), 20).participantsCount).toBe(2);
  });
});

describe('paging', () => {
  /** Chat `id`, last active `minutes` past 15:00 on 17 January. */
  const at = (id: number, minutes: number, unread = 0) =>
    fromSummary(summary(id, unread, `2025-01-17T15:${String(minutes).padStart(2, '0')}:00Z`));
  const first = (items: ChatItem[], nextCursor: string | null, position = 100): ChatListAction => ({
    type: 'snapshot',
    items,
    position,
    mode: 'replace',
    nextCursor,
  });
  const page = (cursor: string, items: ChatItem[], nextCursor: string | null, position = 110): ChatListAction => ({
    type: 'pageLoaded',
    cursor,
    items,
    position,
    nextCursor,
  });
  const loaded = () => run([first([at(15, 50), at(14, 40)], 'c1')]);

  it('appends the next page, follows its cursor and ends with the last', () => {
    const asked = run([{ type: 'pageRequested', cursor: 'c1' }], loaded());
    expect(asked.more).toEqual({ status: 'loading' });
    const two = run([page('c1', [at(13, 30), at(12, 20)], 'c2')], asked);
    expect(order(two)).toEqual([15, 14, 13, 12]);
    expect(two).toMatchObject({ nextCursor: 'c2', more: { status: 'idle' } });
    const all = run([page('c2', [at(11, 10)], null)], two);
    expect(order(all)).toEqual([15, 14, 13, 12, 11]);
    expect(all.nextCursor).toBeNull();
  });

  it('lists every chat once: a chat already shown (live, or found by a search) is not added again', () => {
    // Chat 13 came live (its chat_created) and got a message; then a page lists it, read before.
    const live = run(
      [{ type: 'chatCreated', item: at(13, 30), position: 105 }, message(13, 120, alex.id)],
      loaded(),
    );
    const state = run([page('c1', [at(13, 30), at(12, 20)], null, 110)], live);
    expect(order(state)).toEqual([13, 15, 14, 12]);
    expect(item(state, 13)).toMatchObject({ unread: 1, lastMessage: { content: 'at 120' }, position: 120 });
    expect(new Set(order(state)).size).toBe(state.items.length);
  });

  it('takes a page newer than what is shown of a chat (the stream is behind)', () => {
    const state = run([page('c1', [at(14, 40, 3)], null, 110)], loaded());
    expect(order(state)).toEqual([15, 14]);
    expect(item(state, 14)).toMatchObject({ unread: 3, position: 110 });
  });

  it('drops a page asked before the list was loaded anew, and a page merged already', () => {
    const reloaded = run([first([at(15, 50)], 'd1', 130)], loaded());
    expect(run([page('c1', [at(13, 30)], 'c2')], reloaded)).toBe(reloaded);
    const two = run([page('c1', [at(13, 30)], 'c2')], loaded());
    expect(run([page('c1', [at(13, 30)], 'c2')], two)).toBe(two);
  });

  it('says why a page failed, and asks again from the same cursor', () => {
    const failed = run([{ type: 'pageRequested', cursor: 'c1' }, { type: 'pageFailed', cursor: 'c1', error: 'offline' }], loaded());
    expect(failed).toMatchObject({ more: { status: 'failed', error: 'offline' }, nextCursor: 'c1' });
    expect(order(run([page('c1', [at(13, 30)], null)], failed))).toEqual([15, 14, 13]);
  });

  it('keeps the later pages through a refresh of the first, and the cursor of the full load', () => {
    const two = run([page('c1', [at(13, 30), at(12, 20)], 'c2')], loaded());
    const refresh: ChatListAction = {
      type: 'snapshot',
      items: [at(12, 55), at(15, 50)],
      position: 130,
      mode: 'refresh',
      nextCursor: 'e1',
    };
    const state = run([refresh], two);
    expect(order(state)).toEqual([12, 15, 14, 13]);
    expect(state.nextCursor).toBe('c2');
    // Also before any later page: a page on its way (from c1) is still the one merged.
    const asked = run([{ type: 'pageRequested', cursor: 'c1' }, refresh], loaded());
    expect(asked).toMatchObject({ nextCursor: 'c1', more: { status: 'loading' } });
    expect(order(run([page('c1', [at(13, 30)], null)], asked))).toEqual([12, 15, 14, 13]);
    // A full load starts over, and a page of the old chain no longer counts.
    const reloaded = run([{ ...refresh, mode: 'replace' }], asked);
    expect(reloaded).toMatchObject({ nextCursor: 'e1', more: { status: 'idle' } });
  });

  it('puts what a search finds in order of activity, each chat once', () => {
    const two = run([page('c1', [at(12, 20)], 'c2')], loaded());
    const found = run([{ type: 'found', items: [at(13, 30), at(15, 50), at(3, 1)], position: 140 }], two);
    expect(order(found)).toEqual([15, 14, 13, 12, 3]);
    expect(found.nextCursor).toBe('c2');
    // The next page, older than the chat found, goes above it.
    const more = run([page('c2', [at(11, 10)], null)], found);
    expect(order(more)).toEqual([15, 14, 13, 12, 11, 3]);
  });

  it('keeps groups that dropped us at the bottom when merging', () => {
    const merged = mergeFound([at(15, 50), { ...at(9, 59), membership: 'left' }], [at(14, 40)], 1);
    expect(merged.map((i) => i.id)).toEqual([15, 14, 9]);
  });
});

describe('inquiries in the chat list', () => {
  const guest = { id: 40, name: 'Ольга Смирнова', role: 'guest' as const };
  const inquiry = (closedAt: string | null = null): ChatSummary => ({
    id: 30,
    kind: 'inquiry',
    title: 'Пробный урок',
    context: { type: 'course', title: 'ЕГЭ математика' },
    created_by: guest.id,
    updated_at: '2025-01-17T15:40:00Z',
    participants_count: 2,
    closed_at: closedAt,
    participant: { ...guest, online: true, last_seen: null },
    last_message: null,
    unread_count: 0,
    last_read_message_id: 0,
  });
  const closed = (position: number | null, closedAt = '2025-01-20T15:00:00Z'): ChatListAction => ({
    type: 'chatClosed',
    chatId: 30,
    closedAt,
    position,
  });
  const listed = () => run([snapshot([fromSummary(inquiry()), fromSummary(summary(10, 0, '2025-01-17T15:00:00Z'))])]);

  it('reads an inquiry: its title, the guest, open or closed', () => {
    const chat = item(listed(), 30);
    expect(chat).toMatchObject({ kind: 'inquiry', title: 'Пробный урок', people: [guest], participantsCount: 2, closedAt: null });
    expect(chatTitle(chat, en)).toBe('Пробный урок');
    expect(isClosed(chat)).toBe(false);
    expect(isClosed(fromSummary(inquiry('2025-01-20T15:00:00Z')))).toBe(true);
    // A server before inquiries sent no closed_at: open.
    expect(isClosed(fromSummary(summary(10)))).toBe(false);
    expect(isClosed(null)).toBe(false);
  });

  it('closes an inquiry on chat_closed, once, and a snapshot read before it does not reopen it', () => {
    const state = run([closed(101)], listed());
    expect(item(state, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', position: 101 });
    expect(run([closed(101, '2025-01-21T00:00:00Z')], state)).toBe(state); // delivered twice
    const refresh = (position: number): ChatListAction => ({ type: 'snapshot', items: [fromSummary(inquiry())], position, mode: 'refresh' });
    expect(isClosed(item(run([refresh(100)], state), 30))).toBe(true);
    // Even when the snapshot's position is past the event (a late page of an older first page).
    expect(isClosed(item(run([{ type: 'found', items: [fromSummary(inquiry())], position: 90 }], state), 30))).toBe(true);
    // A chat not listed yet: the next snapshot shows it closed.
    expect(run([{ ...closed(102), chatId: 99 } as ChatListAction], listed()).items).toEqual(listed().items);
  });

  it('closes an inquiry that refused our message (its details said when), without waiting for the event', () => {
    const state = run([closed(null)], listed());
    expect(item(state, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', position: 100 });
    // The event that follows keeps the first time known and takes its position.
    const after = run([closed(101, '2025-01-20T15:00:00Z')], state);
    expect(item(after, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', position: 101 });
  });

  it('moves an inquiry with a new message to the top like a direct chat', () => {
    const state = run([message(10, 101, ivan.id), message(30, 102, guest.id)], listed());
    expect(order(state)).toEqual([30, 10]);
    expect(item(state, 30).unread).toBe(1);
  });
});
