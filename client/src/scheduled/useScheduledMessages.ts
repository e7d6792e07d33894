// Scheduled send in the workspace (scheduled.ts holds the state): our scheduled messages of the
// chat we open, loaded then; one we schedule, change or cancel; the stream's `new_message` of
// ours takes a sent one off (useWorkspace hands every one here), and the open chat's list is
// loaded anew just after its soonest time passes (a message that failed then says why). Only
// people who write schedule: admins, guardians and guests ask for nothing.

import { useCallback, useEffect, useReducer } from 'react';

import { ApiError, type ScheduledMessage } from '../api';
import type { WireMessage } from '../conversation/model';
import { useSession } from '../session/SessionContext';
import { useLatest } from '../useLatest';
import { type ScheduledState, initialScheduled, scheduledIn, scheduledReducer } from './scheduled';
import { cancelScheduled, changeScheduled, scheduleMessage, scheduledMessages } from './scheduledApi';

export interface ScheduledControl {
  /** Whether we may schedule at all (not an admin, a guardian or a guest). */
  enabled: boolean;
  state: ScheduledState;
  /** Schedules a message for `sendAt` (RFC 3339); rejects with the reason in words. */
  schedule: (chatId: number, content: string, sendAt: string, replyToId: number | null) => Promise<void>;
  /** Changes its text and/or time; rejects with the reason in words. */
  change: (message: ScheduledMessage, change: { content?: string; send_at?: string }) => Promise<void>;
  /** Cancels it; rejects with the reason in words. */
  cancel: (message: ScheduledMessage) => Promise<void>;
  /** A `new_message` of chat `chatId` arrived. */
  received: (chatId: number, message: Pick<WireMessage, 'sender_id' | 'content'>) => void;
}

const newKey = () => {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0'));
  return `scheduled-${Date.now()}-${random.join('')}`;
};

/** Reload this long after a scheduled time, when the server has sent it (or marked it failed). */
const AFTER_DUE_MS = 2_000;

/** `failed`: an error in words (a 401 signs out), as the store says it. */
export function useScheduledMessages(openChatId: number | null, failed: (error: unknown) => string): ScheduledControl {
  const { me, isAdmin, isGuardian, isGuest } = useSession();
  const enabled = !isAdmin && !isGuardian && !isGuest;
  const [state, dispatch] = useReducer(scheduledReducer, initialScheduled);
  const latest = useLatest(state);

  const loadChat = useCallback(
    (chatId: number) =>
      scheduledMessages(chatId).then(
        (messages) => dispatch({ type: 'loaded', chatId, messages }),
        (error: unknown) => void failed(error), // shown again on the next load; a 401 signs out
      ),
    [failed],
  );

  useEffect(() => {
    if (enabled && openChatId !== null) void loadChat(openChatId);
  }, [enabled, openChatId, loadChat]);

  // Just after the open chat's soonest pending time: sent (the stream brings it) or failed.
  const soonest =
    openChatId === null
      ? null
      : (scheduledIn(state, openChatId).find((m) => m.state === 'pending')?.send_at ?? null);
  useEffect(() => {
    if (openChatId === null || soonest === null) return;
    const wait = Math.max(0, Date.parse(soonest) - Date.now()) + AFTER_DUE_MS;
    const timer = setTimeout(() => void loadChat(openChatId), Math.min(wait, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [openChatId, soonest, loadChat]);

  const schedule = useCallback(
    async (chatId: number, content: string, sendAt: string, replyToId: number | null) => {
      try {
        dispatch({ type: 'saved', message: await scheduleMessage(chatId, content, sendAt, newKey(), replyToId) });
      } catch (error) {
        throw new Error(failed(error));
      }
    },
    [failed],
  );

  /** A 409, or a 403 `forbidden` (none of ours: cancelled elsewhere): it is ours no longer to change. */
  const settle = useCallback(
    (message: ScheduledMessage, error: unknown) => {
      if (error instanceof ApiError && (error.status === 409 || (error.status === 403 && error.code === 'forbidden'))) {
        dispatch({ type: 'gone', id: message.id });
        void loadChat(message.chat_id);
      }
      throw new Error(failed(error));
    },
    [failed, loadChat],
  );

  const change = useCallback(
    async (message: ScheduledMessage, patch: { content?: string; send_at?: string }) => {
      try {
        dispatch({ type: 'saved', message: await changeScheduled(message.id, patch) });
      } catch (error) {
        settle(message, error);
      }
    },
    [settle],
  );

  const cancel = useCallback(
    async (message: ScheduledMessage) => {
      try {
        await cancelScheduled(message.id);
        dispatch({ type: 'gone', id: message.id });
      } catch (error) {
        settle(message, error);
      }
    },
    [settle],
  );

  const received = useCallback(
    (chatId: number, { sender_id: senderId, content }: Pick<WireMessage, 'sender_id' | 'content'>) => {
      if (!enabled || senderId !== me.id) return;
      if (!latest.current.items.some((m) => m.chat_id === chatId)) return;
      dispatch({ type: 'sent', chatId, content });
      void loadChat(chatId); // the server's word on what is still scheduled there
    },
    [enabled, me.id, latest, loadChat],
  );

  return { enabled, state, schedule, change, cancel, received };
}
