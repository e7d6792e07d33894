// Quiet hours in the workspace (held.ts holds the state): a teacher's held messages of the chat
// they open, loaded then, and the one a send was answered 202 with; an admin's, everyone's, when
// the Moderation dialog's Held tab asks, with "Deliver now". The stream's `new_message` takes
// a delivered one off (useWorkspace hands every one here). Only teachers' messages are held,
// so nobody else asks for their own.

import { useCallback, useEffect, useReducer } from 'react';

import { ApiError, type HeldMessage } from '../api';
import type { WireMessage } from '../conversation/model';
import { type HeldState, heldReducer, initialHeld } from './held';
import { deliverHeld, heldMessages } from './heldApi';
import { useSession } from '../session/SessionContext';
import { useLatest } from '../useLatest';

export interface HeldControl {
  state: HeldState;
  /** Loads the held messages of every chat (admins); rejects with the reason in words. */
  loadAll: () => Promise<void>;
  /** A send was answered 202 with this. */
  held: (message: HeldMessage) => void;
  /** A `new_message` of chat `chatId` arrived. */
  received: (chatId: number, message: Pick<WireMessage, 'sender_id' | 'content'>) => void;
  /** Delivers one now (admins); rejects with the reason in words. */
  deliverNow: (id: number) => Promise<void>;
}

/** `failed`: an error in words (a 401 signs out), as the store says it. */
export function useHeldMessages(openChatId: number | null, failed: (error: unknown) => string): HeldControl {
  const { me, isAdmin } = useSession();
  const teacher = me.role === 'teacher';
  const [state, dispatch] = useReducer(heldReducer, initialHeld);
  const latest = useLatest(state);

  const loadChat = useCallback(
    (chatId: number) =>
      heldMessages(chatId).then(
        (messages) => dispatch({ type: 'loaded', chatId, messages }),
        (error: unknown) => void failed(error), // the notice waits for the next load; a 401 signs out
      ),
    [failed],
  );

  useEffect(() => {
    if (teacher && openChatId !== null) void loadChat(openChatId);
  }, [teacher, openChatId, loadChat]);

  const loadAll = useCallback(async () => {
    try {
      dispatch({ type: 'loaded', chatId: null, messages: await heldMessages() });
    } catch (error) {
      throw new Error(failed(error));
    }
  }, [failed]);

  const received = useCallback(
    (chatId: number, { sender_id: senderId, content }: Pick<WireMessage, 'sender_id' | 'content'>) => {
      if (senderId !== me.id && !isAdmin) return;
      const had = latest.current.items.some((m) => m.chat_id === chatId && m.sender_id === senderId);
      if (!had) return;
      dispatch({ type: 'delivered', chatId, senderId, content });
      // The server's word on what is still held there (two alike, a text it changed).
      if (teacher) void loadChat(chatId);
    },
    [me.id, isAdmin, teacher, latest, loadChat],
  );

  const deliverNow = useCallback(
    async (id: number) => {
      try {
        await deliverHeld(id);
      } catch (error) {
        // Held no longer (delivered meanwhile, or dropped): it goes from the list all the same.
        if (!(error instanceof ApiError && error.status === 404)) throw new Error(failed(error));
      }
      dispatch({ type: 'gone', id });
    },
    [failed],
  );

  const held = useCallback((message: HeldMessage) => dispatch({ type: 'held', message }), []);
  return { state, loadAll, held, received, deliverNow };
}
