// Messages we scheduled (POST /api/messages with `send_at`), as a pure reducer: our own only
// (nobody else sees them until they are sent), shown after a conversation's messages as
// "scheduled for 18:00" with edit and cancel. A scheduled message is not in the chat's history
// and the stream says nothing of it until it is sent, as an ordinary `new_message`; so a
// `new_message` of ours in its chat with its text takes it off (the chat's list is loaded anew
// then too, which settles any doubt), as do cancelling it and a list loaded anew.

import type { ScheduledMessage } from '../api';

export interface ScheduledState {
  /** Each scheduled message once, by its own id. */
  items: readonly ScheduledMessage[];
}

export type ScheduledAction =
  /** Our scheduled messages of one chat, as the server has them now. */
  | { type: 'loaded'; chatId: number; messages: readonly ScheduledMessage[] }
  /** Scheduled (a 202), or changed (a PATCH's answer). */
  | { type: 'saved'; message: ScheduledMessage }
  /** Cancelled (or sent already: a 403 `forbidden` or a 409). */
  | { type: 'gone'; id: number }
  /** `new_message` of ours: the first pending one of that chat with its text goes. */
  | { type: 'sent'; chatId: number; content: string };

export const initialScheduled: ScheduledState = { items: [] };

/** Soonest first, then in the order they were scheduled. */
const bySendAt = (a: ScheduledMessage, b: ScheduledMessage) => Date.parse(a.send_at) - Date.parse(b.send_at) || a.id - b.id;

export function scheduledReducer(state: ScheduledState, action: ScheduledAction): ScheduledState {
  switch (action.type) {
    case 'loaded': {
      const kept = state.items.filter((m) => m.chat_id !== action.chatId);
      const fresh = action.messages.filter((m) => m.chat_id === action.chatId);
      return { items: [...kept, ...fresh].sort(bySendAt) };
    }
    case 'saved': {
      const others = state.items.filter((m) => m.id !== action.message.id);
      return { items: [...others, action.message].sort(bySendAt) };
    }
    case 'gone':
      return state.items.some((m) => m.id === action.id) ? { items: state.items.filter((m) => m.id !== action.id) } : state;
    case 'sent': {
      const { chatId, content } = action;
      const match = state.items.find((m) => m.chat_id === chatId && m.state === 'pending' && m.content === content);
      return match ? { items: state.items.filter((m) => m !== match) } : state;
    }
  }
}

/** Our scheduled messages of chat `chatId`, soonest first. */
export function scheduledIn(state: ScheduledState, chatId: number): ScheduledMessage[] {
  return state.items.filter((m) => m.chat_id === chatId);
}

/** A `datetime-local` input's value (local time, to the minute) for a moment. */
export function localInputValue(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** The moment a `datetime-local` value names in local time, as RFC 3339 (UTC); null if it names none. */
export function sendAtOf(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const at = new Date(value); // a date-time without an offset is local time
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/** When a scheduled message is sent, in the viewer's time zone: the time, with the date unless it is today. */
export function scheduledTime(sendAt: string, locale: string, now: Date): string {
  const at = new Date(sendAt);
  const sameDay = at.toDateString() === now.toDateString();
  if (sameDay) return at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  return at.toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}
