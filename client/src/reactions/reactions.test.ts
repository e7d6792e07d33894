import { describe, expect, it } from 'vitest';

import { conversationsReducer } from '../conversation/messages';
import { run, wire } from '../conversation/messagesFixtures';
import { noGroups, noPeople } from '../groups';
import { dispatch } from '../stream/dispatch';
import { EVENT_TYPES, type StreamEvent, parseStreamEvent } from '../stream/events';
import type { DispatchState } from '../stream/outcome';
import { REACTIONS, REACTION_NAMES, fromWireReactions, withReaction } from './reactions';

const CHAT = 1;

/** A frame as the server sends it, through the parser. */
function frame(type: string, data: unknown, id = 300): StreamEvent {
  const event = parseStreamEvent(type, JSON.stringify(data), String(id));
  if (!event) throw new Error(`${type} did not parse`);
  return event;
}

describe('withReaction', () => {
  it('adds a person to an emoji once, in the order they reacted, and a new emoji last', () => {
    const one = withReaction([], '👍', 5, true);
    expect(one).toEqual([{ emoji: '👍', userIds: [5] }]);
    const two = withReaction(one, '👍', 6, true);
    expect(withReaction(two, '👍', 6, true)).toBe(two); // again: nothing changes
    const three = withReaction(two, '✅', 5, true);
    expect(three).toEqual([
      { emoji: '👍', userIds: [5, 6] },
      { emoji: '✅', userIds: [5] },
    ]);
  });

  it('takes a person back, and drops an emoji nobody has left', () => {
    const start = [
      { emoji: '👍' as const, userIds: [5, 6] },
      { emoji: '✅' as const, userIds: [5] },
    ];
    expect(withReaction(start, '👍', 5, false)).toEqual([
      { emoji: '👍', userIds: [6] },
      { emoji: '✅', userIds: [5] },
    ]);
    expect(withReaction(start, '✅', 5, false)).toEqual([{ emoji: '👍', userIds: [5, 6] }]);
    expect(withReaction(start, '😢', 5, false)).toBe(start); // none there: nothing changes
  });
});

describe('reactions from history', () => {
  it('reads them from the wire, leaving out an emoji this client does not offer', () => {
    expect(
      fromWireReactions([
        { emoji: '❤️', count: 2, user_ids: [3, 4] },
        { emoji: '🦄' as '👍', count: 1, user_ids: [3] },
      ]),
    ).toEqual([{ emoji: '❤️', userIds: [3, 4] }]);
    expect(fromWireReactions(undefined)).toEqual([]);
  });

  it('offers the eight, each with a name for screen readers', () => {
    expect(REACTIONS).toEqual(['👍', '❤️', '😂', '😮', '😢', '🙏', '👏', '✅']);
    for (const emoji of REACTIONS) expect(REACTION_NAMES[emoji]).toBeTruthy();
  });
});

describe('reaction_added and reaction_removed', () => {
  const state = (): DispatchState => ({
    me: 7,
    isAdmin: false,
    isGuest: false,
    isGuardian: false,
    chatList: { items: [] },
    conversations: { [CHAT]: run([{ type: 'snapshot', messages: [wire(1), wire(2)], hasMore: false }]) },
    groups: noGroups,
    people: noPeople,
    openChatId: CHAT,
    readingChatId: null,
    now: Date.parse('2025-01-17T18:00:00Z'),
  });
  const apply = (from: DispatchState, ...events: StreamEvent[]) =>
    events.reduce(
      (conversations, event) =>
        dispatch(event, { ...from, conversations }).conversations.reduce(conversationsReducer, conversations),
      from.conversations,
    );

  it('are events of the stream, parsed with their message, emoji and person', () => {
    expect(EVENT_TYPES).toContain('reaction_added');
    expect(EVENT_TYPES).toContain('reaction_removed');
    expect(frame('reaction_added', { chat_id: CHAT, message_id: 2, emoji: '👍', user_id: 8 })).toEqual({
      type: 'reaction_added',
      position: 300,
      chatId: CHAT,
      messageId: 2,
      emoji: '👍',
      userId: 8,
    });
    expect(parseStreamEvent('reaction_added', JSON.stringify({ chat_id: CHAT, message_id: 2, emoji: '👎', user_id: 8 }), '1')).toBeNull();
    expect(parseStreamEvent('reaction_removed', JSON.stringify({ chat_id: CHAT, message_id: 2, emoji: '👍' }), '1')).toBeNull();
  });

  it('change the message where it is loaded, and the same event twice changes nothing more', () => {
    const from = state();
    const added = frame('reaction_added', { chat_id: CHAT, message_id: 2, emoji: '👍', user_id: 8 }, 300);
    const mine = frame('reaction_added', { chat_id: CHAT, message_id: 2, emoji: '👍', user_id: 7 }, 301);
    const after = apply(from, added, mine, added);
    expect(after[CHAT]!.messages[1]!.reactions).toEqual([{ emoji: '👍', userIds: [8, 7] }]);
    expect(after[CHAT]!.messages[0]!.reactions).toEqual([]);
    const removed = frame('reaction_removed', { chat_id: CHAT, message_id: 2, emoji: '👍', user_id: 8 }, 302);
    expect(apply({ ...from, conversations: after }, removed)[CHAT]!.messages[1]!.reactions).toEqual([
      { emoji: '👍', userIds: [7] },
    ]);
  });

  it('leave a message that is not loaded alone (history brings its reactions)', () => {
    const from = state();
    const other = frame('reaction_added', { chat_id: CHAT, message_id: 99, emoji: '✅', user_id: 8 });
    expect(apply(from, other)).toEqual(from.conversations);
  });
});
