// Moves our read marker while a chat is being read (open, tab visible, newest messages on
// screen): to the newest message, when something of someone else is newer than the marker
// (`readTarget`). The chat list learns it at once (the badge clears); the server gets it batched
// over READ_DELAY_MS — the per-user write rate is limited, and a burst of messages then costs
// one request — and tells our other tabs with `messages_read`.

import { type Dispatch, useCallback, useEffect, useRef } from 'react';

import * as api from './api';
import type { ChatList, ChatListAction } from './chats/model';
import type { Conversations } from './conversation/messages';
import { readTarget } from './conversation/queries';
import { useSession } from './session/SessionContext';

/** Read markers wait this long before they are sent. */
const READ_DELAY_MS = 600;

interface Options {
  /** The chat being read now, or null. */
  readingChatId: number | null;
  conversations: Conversations;
  chatList: ChatList;
  dispatchChats: Dispatch<ChatListAction>;
  /** Whether the tab is in front; going to the background sends what was read at once. */
  visible: boolean;
}

export function useReadMarker({ readingChatId, conversations, chatList, dispatchChats, visible }: Options): void {
  const me = useSession().me.id;
  // Read markers on their way to the server, by chat: the newest id of each.
  const unsent = useRef(new Map<number, number>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const flush = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = undefined;
    const reads = [...unsent.current];
    unsent.current.clear();
    for (const [chatId, upTo] of reads) {
      // Best effort: if it fails, the next message read sends a newer marker (covering this
      // one), and a lost session shows on the stream.
      api.markRead(chatId, upTo).catch(() => {});
    }
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);
  useEffect(() => {
    if (!visible) flush();
  }, [visible, flush]);

  const conversation = readingChatId === null ? undefined : conversations[readingChatId];
  const item = chatList.items.find((i) => i.id === readingChatId);
  useEffect(() => {
    if (readingChatId === null || !conversation || !item) return;
    const upTo = readTarget(conversation, me, item.lastReadId);
    if (upTo === null) return;
    dispatchChats({ type: 'read', chatId: readingChatId, upTo, position: null });
    unsent.current.set(readingChatId, Math.max(upTo, unsent.current.get(readingChatId) ?? 0));
    timer.current ??= setTimeout(flush, READ_DELAY_MS);
  }, [readingChatId, conversation, item, me, dispatchChats, flush]);
}
