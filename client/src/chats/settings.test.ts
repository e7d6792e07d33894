import { describe, expect, it } from 'vitest';

import { dispatch } from '../stream/dispatch';
import { parseStreamEvent } from '../stream/events';
import type { DispatchState } from '../stream/outcome';
import { noGroups, noPeople } from '../groups';
import { fromSummary } from './items';
import { item, message, run, snapshot, summary, twoChats } from './chatListFixtures';

/** Our tab listing `chatIds`. */
function state(chatIds: number[]): DispatchState {
  return {
    me: 1,
    isAdmin: false,
    isGuest: false,
    isGuardian: false,
    chatList: { items: chatIds.map((id) => fromSummary(summary(id))) },
    conversations: {},
    groups: noGroups,
    people: noPeople,
    openChatId: null,
    readingChatId: null,
    now: 0,
  };
}

describe('archive and mute', () => {
  it('reads our settings of a chat from the stream, and nothing malformed', () => {
    expect(parseStreamEvent('chat_muted', '{"chat_id":10}', '120')).toEqual({
      type: 'chat_setting',
      position: 120,
      chatId: 10,
      setting: 'chat_muted',
    });
    expect(parseStreamEvent('chat_archived', '{"chat_id":"10"}', '121')).toBeNull();
    expect(parseStreamEvent('chat_unarchived', '{"chat_id":10}', '')).toBeNull();
  });

  it('marks a chat muted or archived, once, and a newer snapshot wins', () => {
    const muted = run([{ type: 'setting', chatId: 10, muted: true, position: 110 }], twoChats());
    expect(item(muted, 10).muted).toBe(true);
    expect(item(muted, 10).archived).toBe(false);
    const archived = run([{ type: 'setting', chatId: 11, archived: true, position: 111 }], muted);
    expect(item(archived, 11).archived).toBe(true);
    // An older event (a snapshot read after it shows it already) changes nothing.
    const again = run([{ type: 'setting', chatId: 10, muted: false, position: 105 }], archived);
    expect(item(again, 10).muted).toBe(true);
  });

  it('brings an archived chat back to the inbox with its next message, unread counting as ever', () => {
    const archived = run([{ type: 'setting', chatId: 11, archived: true, position: 110 }], twoChats());
    const back = run([message(11, 120)], archived);
    expect(item(back, 11).archived).toBe(false);
    expect(item(back, 11).unread).toBe(1);
    const muted = run([{ type: 'setting', chatId: 10, muted: true, position: 130 }, message(10, 140)], back);
    expect([item(muted, 10).muted, item(muted, 10).unread]).toEqual([true, 3]);
  });

  it('routes our settings to the list, and fetches it for an unarchived chat it does not show', () => {
    const listed = dispatch({ type: 'chat_setting', position: 7, chatId: 10, setting: 'chat_archived' }, state([10]));
    expect(listed.chats).toEqual([{ type: 'setting', chatId: 10, position: 7, archived: true }]);
    expect(listed.effects).toEqual([]);
    const muted = dispatch({ type: 'chat_setting', position: 8, chatId: 10, setting: 'chat_unmuted' }, state([10]));
    expect(muted.chats).toEqual([{ type: 'setting', chatId: 10, position: 8, muted: false }]);
    const missing = dispatch({ type: 'chat_setting', position: 9, chatId: 12, setting: 'chat_unarchived' }, state([10]));
    expect(missing.effects).toEqual([{ type: 'refreshChats' }]);
  });

  it('keeps what the server says of a snapshot', () => {
    const listed = run([snapshot([fromSummary({ ...summary(12), muted: true, archived: true })])]);
    expect([item(listed, 12).muted, item(listed, 12).archived]).toEqual([true, true]);
  });
});
