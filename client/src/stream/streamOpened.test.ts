import { describe, expect, it } from 'vitest';

import { emptyConversation } from '../conversation/messages';
import { streamOpened } from './dispatch';

describe('streamOpened: conversations opened without a network', () => {
  it('reads the history of each of them again, and of no other', () => {
    const conversations = {
      10: { ...emptyConversation(10), status: 'ready' as const, unavailable: true },
      20: { ...emptyConversation(20), status: 'ready' as const },
      30: { ...emptyConversation(30), status: 'ready' as const, unavailable: true },
    };
    const effects = streamOpened({ isAdmin: true, chatList: { items: [] }, openChatId: null, conversations });
    expect(effects).toEqual([
      { type: 'loadConversation', chatId: 10 },
      { type: 'loadConversation', chatId: 30 },
    ]);
  });
});
