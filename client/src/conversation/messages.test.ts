import { describe, expect, it } from 'vitest';

import { type ConversationAction, conversationReducer, conversationsReducer } from './messages';
import { ME, OTHER, ids, loaded, run, wire } from './messagesFixtures';
import { olderCursor } from './queries';

describe('offline, nothing kept', () => {
  it('opens empty and writable, and the next snapshot makes it whole', () => {
    const opened = run([{ type: 'unavailable' }]);
    expect([opened.status, opened.unavailable, ids(opened)]).toEqual(['ready', true, []]);
    const written = conversationReducer(opened, {
      type: 'sendStarted', key: 'k1', senderId: ME, content: 'без сети', createdAt: wire(9).created_at, replyTo: null,
    });
    expect(written.pending.map((p) => p.key)).toEqual(['k1']);
    const back = conversationReducer(written, { type: 'snapshot', messages: [wire(1)], hasMore: false });
    expect([back.unavailable, ids(back), back.pending.length]).toEqual([false, [1], 1]);
  });

  it('leaves what was already shown as it was', () => {
    const shown = run([{ type: 'snapshot', messages: [wire(1)], hasMore: false }, { type: 'unavailable' }]);
    expect([shown.unavailable, ids(shown)]).toEqual([false, [1]]);
  });
});

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
      reactions: [],
      mentions: [],
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
