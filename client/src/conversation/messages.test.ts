import { describe, expect, it } from 'vitest';

import type { Attachment } from '../api';
import { MAX_MESSAGE_CHARS, messageLength, sendBlocker } from './compose';
import { type ConversationAction, conversationReducer, conversationsReducer, emptyConversation } from './messages';
import type { Conversation, WireMessage } from './model';
import { isReadByOthers, olderCursor, readTarget, withNotices } from './queries';
import { previewOf, replyRefOf } from './quotes';

const ME = 7;
const OTHER = 8;

function wire(id: number, senderId = OTHER, content = `message ${id}`): WireMessage {
  return { id, sender_id: senderId, content, created_at: `2025-01-17T15:${String(id % 60).padStart(2, '0')}:00Z` };
}

function run(actions: ConversationAction[], start: Conversation = emptyConversation(1)): Conversation {
  return actions.reduce(conversationReducer, start);
}

const ids = (state: Conversation) => state.messages.map((m) => m.id);

const loaded = (...messageIds: number[]) =>
  run([{ type: 'snapshot', messages: messageIds.map((id) => wire(id)), hasMore: false }]);

describe('snapshot', () => {
  it('loads the history oldest first and becomes ready', () => {
    const state = run([{ type: 'snapshot', messages: [wire(1), wire(2)], hasMore: true }]);
    expect(state.status).toBe('ready');
    expect(ids(state)).toEqual([1, 2]);
    expect(state.hasMore).toBe(true);
    expect(state.messages[0]).toEqual({
      id: 1,
      senderId: OTHER,
      content: 'message 1',
      createdAt: wire(1).created_at,
      isEdited: false,
      editedAt: null,
      replyTo: null,
      readBy: [],
      type: 'text',
      attachments: [],
      hidden: null,
      purged: null,
    });
  });

  it('keeps messages the stream delivered while the snapshot was in flight', () => {
    const state = run([
      { type: 'received', message: wire(5) },
      { type: 'received', message: wire(3) },
      { type: 'snapshot', messages: [wire(2), wire(3)], hasMore: false },
    ]);
    expect(ids(state)).toEqual([2, 3, 5]);
  });

  it('does not bring back a message deleted while the snapshot was in flight', () => {
    const state = run([
      { type: 'deleted', id: 3 },
      { type: 'snapshot', messages: [wire(2), wire(3), wire(4)], hasMore: false },
    ]);
    expect(ids(state)).toEqual([2, 4]);
  });

  it('after a reload drops older messages the new snapshot no longer has (deleted meanwhile)', () => {
    const state = run([{ type: 'snapshot', messages: [wire(4), wire(6)], hasMore: false }], loaded(4, 5, 6));
    expect(ids(state)).toEqual([4, 6]);
  });

  it('records a failed load', () => {
    const state = run([{ type: 'loadFailed', error: 'chat 9 does not exist' }]);
    expect(state.status).toBe('failed');
    expect(state.error).toBe('chat 9 does not exist');
  });
});

describe('optimistic sending', () => {
  const started: ConversationAction = {
    type: 'sendStarted',
    key: 'k1',
    senderId: ME,
    content: 'Привет 👋',
    createdAt: '2025-01-17T15:40:00Z',
    replyTo: null,
  };

  it('shows the message at once as pending', () => {
    const state = run([started], loaded(1));
    expect(ids(state)).toEqual([1]);
    expect(state.pending).toEqual([
      {
        key: 'k1',
        senderId: ME,
        content: 'Привет 👋',
        createdAt: '2025-01-17T15:40:00Z',
        replyTo: null,
        attachments: [],
        status: 'sending',
        error: null,
      },
    ]);
  });

  it('replaces the pending message with the saved one', () => {
    const saved = wire(10, ME, 'Привет 👋');
    const state = run([started, { type: 'sendSucceeded', key: 'k1', message: saved }], loaded(1));
    expect(state.pending).toEqual([]);
    expect(ids(state)).toEqual([1, 10]);
    expect(state.messages[1]!.content).toBe('Привет 👋');
  });

  it('shows the message once when the stream echo arrives after the POST answer', () => {
    const saved = wire(10, ME, 'Привет 👋');
    const state = run(
      [started, { type: 'sendSucceeded', key: 'k1', message: saved }, { type: 'received', message: saved }],
      loaded(1),
    );
    expect(ids(state)).toEqual([1, 10]);
    expect(state.pending).toEqual([]);
  });

  it('shows the message once when the stream echo arrives before the POST answer', () => {
    const saved = wire(10, ME, 'Привет 👋');
    const echoed = run([started, { type: 'received', message: saved }], loaded(1));
    // The echo takes the pending copy's place at once: never two copies on screen.
    expect(ids(echoed)).toEqual([1, 10]);
    expect(echoed.pending).toEqual([]);
    const state = run([{ type: 'sendSucceeded', key: 'k1', message: saved }], echoed);
    expect(ids(state)).toEqual([1, 10]);
    expect(state.pending).toEqual([]);
  });

  it('lets an echo claim only one pending copy with the same text', () => {
    const state = run(
      [started, { ...started, key: 'k2' } as ConversationAction, { type: 'received', message: wire(10, ME, 'Привет 👋') }],
      loaded(1),
    );
    expect(ids(state)).toEqual([1, 10]);
    expect(state.pending.map((p) => p.key)).toEqual(['k2']);
  });

  it('does not let a message from someone else claim a pending copy', () => {
    const state = run([started, { type: 'received', message: wire(10, OTHER, 'Привет 👋') }], loaded(1));
    expect(ids(state)).toEqual([1, 10]);
    expect(state.pending.map((p) => p.key)).toEqual(['k1']);
  });

  it('settles a send whose answer was lost but which the server saved (the echo arrives)', () => {
    const state = run(
      [started, { type: 'sendFailed', key: 'k1', error: 'Cannot reach the server.' }, { type: 'received', message: wire(10, ME, 'Привет 👋') }],
      loaded(1),
    );
    expect(ids(state)).toEqual([1, 10]);
    expect(state.pending).toEqual([]);
  });

  it('keeps a failed message visible with the error, and retries it', () => {
    const failed = run([started, { type: 'sendFailed', key: 'k1', error: 'content must not be empty' }], loaded(1));
    expect(failed.pending).toHaveLength(1);
    expect(failed.pending[0]).toMatchObject({ status: 'failed', error: 'content must not be empty', content: 'Привет 👋' });

    const retried = run([{ type: 'retried', key: 'k1' }], failed);
    expect(retried.pending[0]).toMatchObject({ key: 'k1', status: 'sending', error: null });

    const saved = run([{ type: 'sendSucceeded', key: 'k1', message: wire(11, ME, 'Привет 👋') }], retried);
    expect(saved.pending).toEqual([]);
    expect(ids(saved)).toEqual([1, 11]);
  });

  it('discards a failed message', () => {
    const state = run([started, { type: 'sendFailed', key: 'k1', error: 'x' }, { type: 'discarded', key: 'k1' }]);
    expect(state.pending).toEqual([]);
  });

  it('keeps several pending messages in the order they were written and resolves each by key', () => {
    const state = run(
      [
        started,
        { ...started, key: 'k2', content: 'second' } as ConversationAction,
        { type: 'sendSucceeded', key: 'k2', message: wire(21, ME, 'second') },
      ],
      loaded(1),
    );
    expect(state.pending.map((p) => p.key)).toEqual(['k1']);
    expect(ids(state)).toEqual([1, 21]);
  });

  it('ignores answers for unknown keys', () => {
    const state = loaded(1);
    expect(conversationReducer(state, { type: 'sendFailed', key: 'nope', error: 'x' })).toBe(state);
    expect(conversationReducer(state, { type: 'retried', key: 'nope' })).toBe(state);
  });
});

describe('live messages and deletion', () => {
  it('appends a new message in id order and ignores a repeat', () => {
    const once = run([{ type: 'received', message: wire(5) }], loaded(1, 2));
    const twice = conversationReducer(once, { type: 'received', message: wire(5) });
    expect(ids(twice)).toEqual([1, 2, 5]);
    expect(twice).toBe(once);
  });

  it('places a message that arrives out of order by id', () => {
    const state = run([{ type: 'received', message: wire(4) }, { type: 'received', message: wire(3) }], loaded(1));
    expect(ids(state)).toEqual([1, 3, 4]);
  });

  it('removes a deleted message, and a late echo of it does not bring it back', () => {
    const state = run(
      [
        { type: 'deleted', id: 2 },
        { type: 'deleted', id: 2 },
        { type: 'received', message: wire(2) },
      ],
      loaded(1, 2, 3),
    );
    expect(ids(state)).toEqual([1, 3]);
  });

  it('does not show our own message if it was deleted before the POST answer arrived', () => {
    const state = run([
      { type: 'sendStarted', key: 'k', senderId: ME, content: 'x', createdAt: '2025-01-17T15:00:00Z', replyTo: null },
      { type: 'deleted', id: 9 },
      { type: 'sendSucceeded', key: 'k', message: wire(9, ME, 'x') },
    ]);
    expect(ids(state)).toEqual([]);
    expect(state.pending).toEqual([]);
  });
});

describe('older pages', () => {
  it('prepends older messages in id order without duplicates', () => {
    const start = run([{ type: 'snapshot', messages: [wire(50), wire(51), wire(52)], hasMore: true }]);
    expect(olderCursor(start)).toBe(50);
    const state = run(
      [
        { type: 'olderRequested' },
        // overlaps the loaded page (50) and arrives unsorted: still one copy of each, by id
        { type: 'olderLoaded', messages: [wire(48), wire(47), wire(50), wire(49)], hasMore: true },
      ],
      start,
    );
    expect(ids(state)).toEqual([47, 48, 49, 50, 51, 52]);
    expect(state.loadingOlder).toBe(false);
    expect(olderCursor(state)).toBe(47);
  });

  it('stops when there is nothing older', () => {
    const state = run(
      [{ type: 'olderLoaded', messages: [wire(1)], hasMore: false }],
      run([{ type: 'snapshot', messages: [wire(2)], hasMore: true }]),
    );
    expect(ids(state)).toEqual([1, 2]);
    expect(olderCursor(state)).toBeNull();
  });

  it('leaves out older messages already known to be deleted', () => {
    const state = run(
      [
        { type: 'deleted', id: 48 },
        { type: 'olderLoaded', messages: [wire(48), wire(49)], hasMore: false },
      ],
      run([{ type: 'snapshot', messages: [wire(50)], hasMore: true }]),
    );
    expect(ids(state)).toEqual([49, 50]);
  });

  it('records a failed page and allows another try', () => {
    const state = run([{ type: 'olderRequested' }, { type: 'olderFailed', error: 'offline' }], loaded(5));
    expect(state.loadingOlder).toBe(false);
    expect(state.olderError).toBe('offline');
    expect(run([{ type: 'olderRequested' }], state).olderError).toBeNull();
  });
});

describe('conversations', () => {
  it('applies actions only to conversations that were opened', () => {
    let state = conversationsReducer({}, { type: 'chat', chatId: 1, action: { type: 'received', message: wire(1) } });
    expect(state).toEqual({});
    state = conversationsReducer(state, { type: 'opened', chatId: 1 });
    state = conversationsReducer(state, { type: 'chat', chatId: 1, action: { type: 'received', message: wire(1) } });
    expect(state[1]!.messages.map((m) => m.id)).toEqual([1]);
    expect(conversationsReducer(state, { type: 'opened', chatId: 1 })).toBe(state);
  });

  it('keeps only the open conversation after a reset', () => {
    let state = conversationsReducer({}, { type: 'opened', chatId: 1 });
    state = conversationsReducer(state, { type: 'opened', chatId: 2 });
    expect(Object.keys(conversationsReducer(state, { type: 'keptOnly', chatId: 2 }))).toEqual(['2']);
    expect(conversationsReducer(state, { type: 'keptOnly', chatId: null })).toEqual({});
  });
});

describe('input rules', () => {
  it('counts Unicode code points, not UTF-16 units', () => {
    expect(messageLength('👋🏽')).toBe(2);
    expect('👋🏽'.length).toBe(4);
    expect(messageLength('Привет')).toBe(6);
  });

  it('refuses empty, whitespace-only and too long text', () => {
    expect(sendBlocker('')).toBe('empty');
    expect(sendBlocker(' \n\t ')).toBe('empty');
    expect(sendBlocker('ok')).toBeNull();
    expect(sendBlocker('😀'.repeat(MAX_MESSAGE_CHARS))).toBeNull();
    expect(sendBlocker('😀'.repeat(MAX_MESSAGE_CHARS + 1))).toBe('too-long');
  });
});

const edited = (id: number, content: string, editedAt: string, senderId = OTHER): ConversationAction => ({
  type: 'edited',
  message: { ...wire(id, senderId, content), is_edited: true, edited_at: editedAt },
});

const texts = (state: Conversation) => state.messages.map((m) => m.content);

describe('edits', () => {
  it('replaces the text of a loaded message and marks it edited', () => {
    const state = run([edited(2, 'fixed', '2025-01-17T16:00:00Z')], loaded(1, 2));
    expect(texts(state)).toEqual(['message 1', 'fixed']);
    expect(state.messages[1]).toMatchObject({ isEdited: true, editedAt: '2025-01-17T16:00:00Z' });
  });

  it('keeps the newest of two edits, whatever order they arrive in', () => {
    const newer = edited(2, 'second', '2025-01-17T16:05:00Z');
    const older = edited(2, 'first', '2025-01-17T16:00:00Z');
    expect(texts(run([older, newer], loaded(2)))).toEqual(['second']);
    expect(texts(run([newer, older], loaded(2)))).toEqual(['second']);
    const again = run([newer], loaded(2));
    expect(conversationReducer(again, newer)).toBe(again);
  });

  it('ignores an answer that says nothing changed (the same text again)', () => {
    const state = loaded(2);
    const unchanged: ConversationAction = { type: 'edited', message: { ...wire(2), is_edited: false, edited_at: null } };
    expect(conversationReducer(state, unchanged)).toBe(state);
  });

  const started: ConversationAction = {
    type: 'sendStarted',
    key: 'k1',
    senderId: ME,
    content: 'typo',
    createdAt: '2025-01-17T15:40:00Z',
    replyTo: null,
  };
  const saved = wire(10, ME, 'typo');
  const fix = edited(10, 'fixed', '2025-01-17T15:41:00Z', ME);

  it('applies an edit that arrives after the POST answer', () => {
    const state = run([started, { type: 'sendSucceeded', key: 'k1', message: saved }, fix], loaded(1));
    expect(texts(state)).toEqual(['message 1', 'fixed']);
  });

  it('applies an edit that arrives before the POST answer (from another tab of ours)', () => {
    const state = run([started, fix, { type: 'sendSucceeded', key: 'k1', message: saved }], loaded(1));
    expect(texts(state)).toEqual(['message 1', 'fixed']);
    expect(state.messages[1]!.isEdited).toBe(true);
    expect(state.pending).toEqual([]);
    // Also with the stream's echo first: the echo is replaced by nothing older.
    const echoed = run(
      [started, { type: 'received', message: saved }, fix, { type: 'sendSucceeded', key: 'k1', message: saved }],
      loaded(1),
    );
    expect(texts(echoed)).toEqual(['message 1', 'fixed']);
  });

  it('remembers an edit of a message not loaded yet, for the page or snapshot that brings it', () => {
    const start = run([{ type: 'snapshot', messages: [wire(50)], hasMore: true }]);
    const state = run(
      [edited(48, 'fixed', '2025-01-17T16:00:00Z'), { type: 'olderLoaded', messages: [wire(48), wire(49)], hasMore: false }],
      start,
    );
    expect(texts(state)).toEqual(['fixed', 'message 49', 'message 50']);
    // A snapshot read before the edit brings the old text: the edit stays.
    const reloaded = run([{ type: 'snapshot', messages: [wire(48), wire(50)], hasMore: false }], state);
    expect(texts(reloaded)).toEqual(['fixed', 'message 50']);
    // A snapshot with a newer edit wins.
    const newer = { ...wire(48, OTHER, 'newer'), is_edited: true, edited_at: '2025-01-17T16:30:00Z' };
    expect(texts(run([{ type: 'snapshot', messages: [newer, wire(50)], hasMore: false }], state))).toEqual([
      'newer',
      'message 50',
    ]);
  });

  it('does not edit a deleted message back into view', () => {
    const state = run([{ type: 'deleted', id: 2 }, edited(2, 'fixed', '2025-01-17T16:00:00Z')], loaded(1, 2));
    expect(ids(state)).toEqual([1]);
  });
});

describe('replies', () => {
  const quoting = (id: number, parent: number, preview: string | null = `message ${parent}`): WireMessage => ({
    ...wire(id),
    reply_to: {
      id: parent,
      sender_id: OTHER,
      content_preview: preview,
      is_deleted: preview === null,
      unavailable: false,
      removed: null,
    },
  });

  it('shows the quote the server sends', () => {
    const state = run([{ type: 'snapshot', messages: [wire(1), quoting(2, 1)], hasMore: false }]);
    expect(state.messages[1]!.replyTo).toEqual({ id: 1, senderId: OTHER, preview: 'message 1', isDeleted: false });
  });

  it('refreshes quotes when the quoted message is edited: loaded ones, pending ones and later ones', () => {
    const start = run([{ type: 'snapshot', messages: [wire(1), quoting(2, 1)], hasMore: false }]);
    const pending: ConversationAction = {
      type: 'sendStarted',
      key: 'k',
      senderId: ME,
      content: 'me too',
      createdAt: '2025-01-17T16:00:00Z',
      replyTo: replyRefOf({ id: 1, senderId: OTHER, content: 'message 1' }),
    };
    const long = 'д'.repeat(150);
    const state = run([pending, edited(1, long, '2025-01-17T16:01:00Z')], start);
    expect(state.messages[1]!.replyTo?.preview).toBe('д'.repeat(100));
    expect(state.pending[0]!.replyTo?.preview).toBe('д'.repeat(100));
    // A reply that arrives later with the preview of the old text gets the new one.
    const late = run([{ type: 'received', message: quoting(3, 1) }], state);
    expect(late.messages[2]!.replyTo?.preview).toBe('д'.repeat(100));
  });

  it('marks quotes of a deleted message, also in replies that arrive later', () => {
    const start = run([{ type: 'snapshot', messages: [wire(1), quoting(2, 1)], hasMore: false }]);
    const state = run([{ type: 'deleted', id: 1 }, { type: 'received', message: quoting(3, 1) }], start);
    expect(ids(state)).toEqual([2, 3]);
    for (const message of state.messages) {
      expect(message.replyTo).toEqual({ id: 1, senderId: OTHER, preview: null, isDeleted: true });
    }
  });

  it('lets the echo of a reply claim only the pending reply to the same message', () => {
    const base = { type: 'sendStarted', senderId: ME, content: '+1', createdAt: '2025-01-17T16:00:00Z' } as const;
    const toOne = replyRefOf({ id: 1, senderId: OTHER, content: 'message 1' });
    const toTwo = replyRefOf({ id: 2, senderId: OTHER, content: 'message 2' });
    const echo: WireMessage = {
      ...wire(10, ME, '+1'),
      reply_to: { id: 2, sender_id: OTHER, content_preview: 'message 2', is_deleted: false, unavailable: false, removed: null },
    };
    const state = run(
      [{ ...base, key: 'a', replyTo: toOne }, { ...base, key: 'b', replyTo: toTwo }, { type: 'received', message: echo }],
      loaded(1, 2),
    );
    expect(state.pending.map((p) => p.key)).toEqual(['a']);
  });

  it('cuts previews at 100 code points', () => {
    expect(previewOf('short')).toBe('short');
    expect(previewOf('😀'.repeat(101))).toBe('😀'.repeat(100));
  });
});

describe('read receipts', () => {
  const mine = (id: number, readBy: number[] = []): WireMessage => ({ ...wire(id, ME, `mine ${id}`), read_by: readBy });
  const readState = (...messages: WireMessage[]) => run([{ type: 'snapshot', messages, hasMore: false }]);
  const ticks = (state: Conversation) => state.messages.map((m) => isReadByOthers(state, m));

  it('takes read_by from the history', () => {
    expect(ticks(readState(mine(1, [OTHER]), mine(2)))).toEqual([true, false]);
  });

  it('turns the partner’s messages_read into ✓✓ on our messages up to it, also for later arrivals', () => {
    const state = run([{ type: 'readBy', userId: OTHER, upTo: 2 }], readState(mine(1), mine(2), mine(3)));
    expect(ticks(state)).toEqual([true, true, false]);
    // The POST answer or echo of a message the partner has already read (no read_by on the stream).
    const readEarlier = run([{ type: 'readBy', userId: OTHER, upTo: 2 }], readState(mine(1)));
    const late = run([{ type: 'received', message: wire(2, ME, 'late') }], readEarlier);
    expect(ticks(late)).toEqual([true, true]);
  });

  it('does not count our own marker as someone reading our messages', () => {
    const state = run([{ type: 'readBy', userId: ME, upTo: 9 }], readState(mine(1)));
    expect(ticks(state)).toEqual([false]);
  });

  it('moves markers forward only', () => {
    const forward = run([{ type: 'readBy', userId: OTHER, upTo: 3 }], readState(mine(1), mine(2), mine(3)));
    const back = conversationReducer(forward, { type: 'readBy', userId: OTHER, upTo: 1 });
    expect(back).toBe(forward);
    expect(ticks(back)).toEqual([true, true, true]);
  });
});

describe('marking read', () => {
  it('targets the newest message when something of someone else is newer than our marker', () => {
    const state = loaded(1, 2, 3);
    expect(readTarget(state, ME, 0)).toBe(3);
    expect(readTarget(state, ME, 2)).toBe(3);
    expect(readTarget(state, ME, 3)).toBeNull(); // the marker is there already
    expect(readTarget(state, ME, 7)).toBeNull(); // or further (another tab)
  });

  it('does not mark for our own messages alone, nor before the history is loaded', () => {
    const state = run([{ type: 'received', message: wire(4, ME) }], loaded(1, 2, 3));
    expect(readTarget(state, ME, 3)).toBeNull();
    expect(readTarget(state, ME, 2)).toBe(4);
    expect(readTarget(emptyConversation(1), ME, 0)).toBeNull();
  });
});

describe('group system lines and membership', () => {
  const IVAN = 9;
  const notice = (position: number, kind: 'added' | 'removed' | 'renamed', userId: number | null, actorId: number | null) =>
    ({ type: 'notice', notice: { position, kind, userId, actorId, title: kind === 'renamed' ? 'Новое' : null }, me: ME }) as const;
  /** What the list shows, top to bottom: message ids and `n<position>` for lines. */
  const shown = (state: Conversation) =>
    withNotices(state.messages, state.notices).map((row) => ('message' in row ? row.message.id : `n${row.notice.position}`));

  it('shows a line after the newest message there when it arrived, and later messages after it', () => {
    const state = run([notice(50, 'added', OTHER, IVAN), { type: 'received', message: wire(3) }], loaded(1, 2));
    expect(shown(state)).toEqual([1, 2, 'n50', 3]);
    expect(state.notices[0]).toMatchObject({ kind: 'added', userId: OTHER, actorId: IVAN, afterId: 2 });
  });

  it('keeps a line in place when the message before it is deleted, and older pages go above it', () => {
    const state = run(
      [
        notice(50, 'renamed', null, IVAN),
        { type: 'received', message: wire(12) },
        { type: 'deleted', id: 11 },
        { type: 'olderLoaded', messages: [wire(9)], hasMore: false },
      ],
      loaded(10, 11),
    );
    expect(shown(state)).toEqual([9, 10, 'n50', 12]);
  });

  it('puts a line that arrived while the history loaded after what the history shows', () => {
    const state = run([
      notice(50, 'added', OTHER, IVAN),
      { type: 'snapshot', messages: [wire(1), wire(2)], hasMore: false },
      { type: 'received', message: wire(3) },
    ]);
    expect(shown(state)).toEqual([1, 2, 'n50', 3]);
  });

  it('shows each event once, in log order, and before any message in an empty group', () => {
    const state = run(
      [notice(51, 'added', OTHER, IVAN), notice(50, 'added', IVAN, IVAN), notice(51, 'added', OTHER, IVAN)],
      loaded(),
    );
    expect(shown(state)).toEqual(['n50', 'n51']);
    expect(shown(run([{ type: 'received', message: wire(1) }], state))).toEqual(['n50', 'n51', 1]);
  });

  it('ends the conversation when we leave or are removed, and not when someone else is', () => {
    expect(run([notice(50, 'removed', ME, ME)], loaded(1)).membership).toBe('left');
    expect(run([notice(50, 'removed', ME, IVAN)], loaded(1)).membership).toBe('removed');
    expect(run([notice(50, 'removed', OTHER, IVAN)], loaded(1)).membership).toBe('member');
    // Added back: a member again.
    expect(run([notice(50, 'removed', ME, IVAN), notice(60, 'added', ME, IVAN)], loaded(1)).membership).toBe('member');
    // What was on screen stays.
    expect(ids(run([notice(50, 'removed', ME, IVAN)], loaded(1, 2)))).toEqual([1, 2]);
  });

  it('forgets one conversation (we rejoined: it loads again)', () => {
    const state = conversationsReducer(
      conversationsReducer(conversationsReducer({}, { type: 'opened', chatId: 1 }), { type: 'opened', chatId: 2 }),
      { type: 'forgot', chatId: 1 },
    );
    expect(Object.keys(state)).toEqual(['2']);
    expect(conversationsReducer(state, { type: 'forgot', chatId: 1 })).toBe(state);
  });
});

describe('attachments', () => {
  const file = (id: number, contentType = 'image/png'): Attachment => ({
    id,
    name: `file-${id}`,
    content_type: contentType,
    size: 100,
    sha256: 'ab'.repeat(32),
  });
  const withFiles = (id: number, senderId: number, attachments: Attachment[], content = '', type?: string): WireMessage => ({
    ...wire(id, senderId, content),
    attachments,
    ...(type === undefined ? {} : { type }),
  });

  it('reads a message’s type and files; a server before attachments sends text messages', () => {
    const state = run([
      {
        type: 'snapshot',
        messages: [wire(1), withFiles(2, OTHER, [file(5)], '', 'image'), withFiles(3, OTHER, [file(6, 'application/pdf')], 'PDF')],
        hasMore: false,
      },
    ]);
    expect(state.messages.map((m) => [m.type, m.attachments.map((a) => a.id), m.content])).toEqual([
      ['text', [], 'message 1'],
      ['image', [5], ''],
      ['file', [6], 'PDF'],
    ]);
  });

  it('shows the files of a message being sent, and keeps them for its retry', () => {
    const started: ConversationAction = {
      type: 'sendStarted',
      key: 'k',
      senderId: ME,
      content: '',
      createdAt: '2025-01-17T16:00:00Z',
      replyTo: null,
      attachments: [file(5)],
    };
    const state = run([started, { type: 'sendFailed', key: 'k', error: 'offline' }, { type: 'retried', key: 'k' }], loaded(1));
    expect(state.pending[0]).toMatchObject({ status: 'sending', content: '', attachments: [file(5)] });
  });

  it('lets the echo of a message without text claim the pending copy with the same files only', () => {
    const base = { type: 'sendStarted', senderId: ME, content: '', createdAt: '2025-01-17T16:00:00Z', replyTo: null } as const;
    const state = run(
      [
        { ...base, key: 'a', attachments: [file(5)] },
        { ...base, key: 'b', attachments: [file(6), file(7)] },
        { type: 'received', message: withFiles(10, ME, [file(6), file(7)], '', 'image') },
      ],
      loaded(1),
    );
    expect(state.pending.map((p) => p.key)).toEqual(['a']);
    expect(ids(state)).toEqual([1, 10]);
    // The answer to the other POST settles it as usual.
    const settled = run([{ type: 'sendSucceeded', key: 'a', message: withFiles(11, ME, [file(5)], '', 'image') }], state);
    expect(settled.pending).toEqual([]);
    expect(settled.messages.map((m) => m.attachments.map((a) => a.id))).toEqual([[], [6, 7], [5]]);
  });

  it('keeps a message’s files when its caption is edited', () => {
    const start = run([{ type: 'snapshot', messages: [withFiles(2, OTHER, [file(5)], '', 'image')], hasMore: false }]);
    const message = { ...withFiles(2, OTHER, [file(5)], 'Подпись', 'image'), is_edited: true, edited_at: '2025-01-17T16:05:00Z' };
    const state = run([{ type: 'edited', message }], start);
    expect(state.messages[0]).toMatchObject({ content: 'Подпись', isEdited: true, type: 'image', attachments: [file(5)] });
  });
});
