import { describe, expect, it } from 'vitest';

import { MAX_BEYOND, isLoaded, newerCursor, shownNotices } from './historyWindow';
import { type ConversationAction, conversationReducer, emptyConversation } from './messages';
import type { Conversation, WireMessage } from './model';
import { readTarget, withNotices } from './queries';

const ME = 7;
const OTHER = 8;

function wire(id: number, senderId = OTHER, content = `message ${id}`): WireMessage {
  return { id, sender_id: senderId, content, created_at: `2025-01-17T15:${String(id % 60).padStart(2, '0')}:00Z` };
}

const run = (actions: ConversationAction[], start: Conversation = emptyConversation(1)): Conversation =>
  actions.reduce(conversationReducer, start);

const ids = (state: Conversation) => state.messages.map((m) => m.id);
const beyondIds = (state: Conversation) => state.beyond.map((m) => m.id);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A window around message 50 (40–60) of a chat whose newest is far later. */
const around = (window = 1) =>
  run([
    { type: 'windowRequested', window, focus: 50 },
    { type: 'snapshot', messages: range(40, 60).map((id) => wire(id)), hasMore: true, hasNewer: true, window },
  ]);

const newest = (...messageIds: number[]) =>
  run([{ type: 'snapshot', messages: messageIds.map((id) => wire(id)), hasMore: false }]);

describe('a window opened at a message', () => {
  it('shows the page around it, knows older and newer exist, and asks to focus it', () => {
    const state = around();
    expect(state.status).toBe('ready');
    expect(ids(state)).toEqual(range(40, 60));
    expect(state.hasMore).toBe(true);
    expect(state.hasNewer).toBe(true);
    expect(state.focus).toBe(50);
    expect(newerCursor(state)).toBe(60);
    expect(isLoaded(state, 50)).toBe(true);
    expect(isLoaded(state, 61)).toBe(false);
  });

  it('shows nothing while it loads (not the window it replaces), then the focus is done once', () => {
    const loading = run([{ type: 'windowRequested', window: 2, focus: 7 }], newest(100, 101));
    expect(loading.status).toBe('loading');
    expect(ids(loading)).toEqual([]);
    const done = run([{ type: 'focusDone' }], around());
    expect(done.focus).toBeNull();
    expect(run([{ type: 'focusDone' }], done)).toBe(done);
  });

  it('focuses a message already loaded without loading anything', () => {
    const state = run([{ type: 'focused', messageId: 101 }], newest(100, 101));
    expect(state.focus).toBe(101);
    expect(ids(state)).toEqual([100, 101]);
  });

  it('is the newest page when the server says nothing is newer', () => {
    const state = run([
      { type: 'windowRequested', window: 1, focus: 99 },
      { type: 'snapshot', messages: [wire(98), wire(99), wire(100)], hasMore: true, hasNewer: false, window: 1 },
    ]);
    expect(state.hasNewer).toBe(false);
    expect(newerCursor(state)).toBeNull();
  });
});

describe('live messages while the window is not at the newest', () => {
  it('wait beyond the gap instead of following the window, and join when the newest is reached', () => {
    let state = run([{ type: 'received', message: wire(500) }], around());
    expect(ids(state)).toEqual(range(40, 60));
    expect(beyondIds(state)).toEqual([500]);
    state = run([{ type: 'received', message: wire(500) }], state); // again: once
    expect(beyondIds(state)).toEqual([500]);
    state = run([{ type: 'newerRequested' }, { type: 'newerLoaded', messages: [wire(61), wire(62)], hasNewer: true, window: 1 }], state);
    expect(ids(state)).toEqual(range(40, 62));
    expect(state.loadingNewer).toBe(false);
    expect(beyondIds(state)).toEqual([500]);
    // The last page was read before 500 was saved: 500 still follows it.
    state = run([{ type: 'newerLoaded', messages: [wire(498), wire(499)], hasNewer: false, window: 1 }], state);
    expect(ids(state)).toEqual([...range(40, 62), 498, 499, 500]);
    expect(state.hasNewer).toBe(false);
    expect(state.beyond).toEqual([]);
  });

  it('take the edits, deletions and moderation seen while they waited', () => {
    const state = run(
      [
        { type: 'received', message: wire(500) },
        { type: 'received', message: wire(501) },
        { type: 'edited', message: { ...wire(500), content: 'fixed', is_edited: true, edited_at: '2025-01-17T16:00:00Z' } },
        { type: 'deleted', id: 501 },
        { type: 'newerLoaded', messages: [], hasNewer: false, window: 1 },
      ],
      around(),
    );
    expect(ids(state).slice(-1)).toEqual([500]);
    expect(state.messages.at(-1)!.content).toBe('fixed');
  });

  it('include our own sent message (its echo claims the pending copy)', () => {
    const state = run(
      [
        { type: 'sendStarted', key: 'k', senderId: ME, content: 'hi', createdAt: '2025-01-17T16:00:00Z', replyTo: null },
        { type: 'received', message: wire(600, ME, 'hi') },
        { type: 'sendSucceeded', key: 'k', message: wire(600, ME, 'hi') },
      ],
      around(),
    );
    expect(state.pending).toEqual([]);
    expect(ids(state)).toEqual(range(40, 60));
    expect(beyondIds(state)).toEqual([600]);
  });

  it('are kept to the newest few (the server has the rest)', () => {
    const actions: ConversationAction[] = range(1000, 1000 + MAX_BEYOND + 9).map((id) => ({ type: 'received', message: wire(id) }));
    const state = run(actions, around());
    expect(state.beyond).toHaveLength(MAX_BEYOND);
    expect(state.beyond[0]!.id).toBe(1010);
  });

  it('that arrived while the window loaded wait beyond it too', () => {
    const state = run([
      { type: 'windowRequested', window: 1, focus: 50 },
      { type: 'received', message: wire(700) },
      { type: 'snapshot', messages: range(40, 60).map((id) => wire(id)), hasMore: true, hasNewer: true, window: 1 },
    ]);
    expect(ids(state)).toEqual(range(40, 60));
    expect(beyondIds(state)).toEqual([700]);
  });

  it('follow the newest page when jumping to the latest', () => {
    const state = run(
      [
        { type: 'received', message: wire(700) },
        { type: 'windowRequested', window: 2, focus: null },
        { type: 'received', message: wire(701) },
        { type: 'snapshot', messages: [wire(699), wire(700)], hasMore: true, window: 2 },
      ],
      around(),
    );
    expect(ids(state)).toEqual([699, 700, 701]);
    expect(state.hasNewer).toBe(false);
  });
});

describe('answers for another window', () => {
  it('are dropped: a late page never mixes two windows', () => {
    const moved = run([{ type: 'windowRequested', window: 2, focus: 900 }], around(1));
    const late = run([{ type: 'snapshot', messages: [wire(50)], hasMore: false, hasNewer: true, window: 1 }], moved);
    expect(late.status).toBe('loading');
    const state = run([{ type: 'snapshot', messages: [wire(899), wire(900)], hasMore: true, hasNewer: true, window: 2 }], moved);
    expect(run([{ type: 'olderRequested' }, { type: 'olderLoaded', messages: [wire(39)], hasMore: true, window: 1 }], state).messages.map((m) => m.id)).toEqual([899, 900]);
    const newer = run([{ type: 'newerRequested' }, { type: 'newerLoaded', messages: [wire(61)], hasNewer: true, window: 1 }], state);
    expect(ids(newer)).toEqual([899, 900]);
    expect(newer.loadingNewer).toBe(false);
    expect(run([{ type: 'loadFailed', error: 'gone', window: 1 }], state).status).toBe('ready');
    expect(run([{ type: 'newerFailed', error: 'offline', window: 1 }], state).newerError).toBeNull();
    expect(run([{ type: 'newerFailed', error: 'offline', window: 2 }], state).newerError).toBe('offline');
  });

  it('a reload keeps what is shown until the newest page arrives, and drops the window it replaces', () => {
    const reloading = run([{ type: 'reloadRequested', window: 2 }], around(1));
    expect(ids(reloading)).toEqual(range(40, 60));
    const state = run([{ type: 'snapshot', messages: [wire(59), wire(60)], hasMore: true, hasNewer: true, window: 1 }], reloading);
    expect(ids(state)).toEqual(range(40, 60));
    expect(run([{ type: 'snapshot', messages: [wire(999)], hasMore: true, window: 2 }], reloading).messages.map((m) => m.id)).toEqual([999]);
  });
});

describe('reading and system lines in a window', () => {
  it('reads nothing while the window is not at the newest', () => {
    expect(readTarget(around(), ME, 0)).toBeNull();
    expect(readTarget(newest(1, 2), ME, 0)).toBe(2);
  });

  it('shows the lines placed within the window, and the ones after the gap once the newest is reached', () => {
    const notice = (position: number) =>
      ({ type: 'notice', notice: { position, kind: 'renamed', userId: null, actorId: OTHER, title: `t${position}` }, me: ME }) as const;
    // A line from when the newest page was shown (after 900), then a jump to 40–60, then a live line.
    let state = run([notice(1)], newest(899, 900));
    state = run(
      [
        { type: 'windowRequested', window: 1, focus: 50 },
        { type: 'snapshot', messages: range(40, 60).map((id) => wire(id)), hasMore: true, hasNewer: true, window: 1 },
        notice(2),
      ],
      state,
    );
    expect(shownNotices(state)).toEqual([]);
    expect(state.notices.find((n) => n.position === 2)!.afterId).toBeNull();
    state = run([{ type: 'newerLoaded', messages: [wire(899), wire(900)], hasNewer: false, window: 1 }], state);
    expect(shownNotices(state).map((n) => [n.position, n.afterId])).toEqual([
      [1, 900],
      [2, 900],
    ]);
    expect(withNotices(state.messages, shownNotices(state)).at(-1)).toEqual({ notice: state.notices[1] });
  });
});
