import { describe, expect, it } from 'vitest';

import { alex, item, message, order, run, summary } from './chatListFixtures';
import { fromSummary } from './items';
import { mergeFound } from './merge';
import type { ChatItem, ChatListAction } from './model';

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
