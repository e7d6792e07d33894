import { describe, expect, it } from 'vitest';

import { conversationsReducer } from './messages';
import { ME, OTHER, ids, loaded, run, wire } from './messagesFixtures';
import type { Conversation } from './model';
import { withNotices } from './queries';

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
