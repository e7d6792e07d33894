// Messages quiet hours hold, as a pure reducer: a teacher's own (their conversation shows them
// after its messages, "will be delivered at 08:00"), or, for an admin, everyone's (the
// Moderation dialog's Held tab). A held message is nobody else's yet: it is not in the chat's
// history, and the stream says nothing of it until it is delivered, as an ordinary
// `new_message`. So a `new_message` from its sender in its chat with its text takes it off
// the list (the chat's held messages are also loaded anew then, which settles any doubt), as
// does an admin delivering it, or a list loaded anew.

import type { HeldMessage } from '../api';

export interface HeldState {
  /** Each held message once, by its own id. */
  items: readonly HeldMessage[];
}

export type HeldAction =
  /** The held messages of one chat (`chatId`), or of every chat (null), as the server has them now. */
  | { type: 'loaded'; chatId: number | null; messages: readonly HeldMessage[] }
  /** A send answered 202. */
  | { type: 'held'; message: HeldMessage }
  /** An admin delivered it (or it is held no longer: 404). */
  | { type: 'gone'; id: number }
  /** `new_message`: the first held message it delivers (same chat, sender and text) goes. */
  | { type: 'delivered'; chatId: number; senderId: number; content: string };

export const initialHeld: HeldState = { items: [] };

/** Soonest delivered first, then in the order they were held. */
const byDelivery = (a: HeldMessage, b: HeldMessage) => Date.parse(a.deliver_at) - Date.parse(b.deliver_at) || a.id - b.id;

export function heldReducer(state: HeldState, action: HeldAction): HeldState {
  switch (action.type) {
    case 'loaded': {
      const { chatId } = action;
      const kept = chatId === null ? [] : state.items.filter((m) => m.chat_id !== chatId);
      const fresh = action.messages.filter((m) => chatId === null || m.chat_id === chatId);
      return { items: [...kept, ...fresh].sort(byDelivery) };
    }
    case 'held':
      if (state.items.some((m) => m.id === action.message.id)) return state;
      return { items: [...state.items, action.message].sort(byDelivery) };
    case 'gone':
      return state.items.some((m) => m.id === action.id) ? { items: state.items.filter((m) => m.id !== action.id) } : state;
    case 'delivered': {
      const { chatId, senderId, content } = action;
      const match = state.items.find((m) => m.chat_id === chatId && m.sender_id === senderId && m.content === content);
      return match ? { items: state.items.filter((m) => m !== match) } : state;
    }
  }
}

/** The held messages `senderId` wrote in chat `chatId`, soonest first. */
export function heldIn(state: HeldState, chatId: number, senderId: number): HeldMessage[] {
  return state.items.filter((m) => m.chat_id === chatId && m.sender_id === senderId);
}

/**
 * When a held message is delivered, in the viewer's time zone: the time of day ("08:00"), with
 * the date too when it is not within the next day (a window ending days later: never by quiet
 * hours alone, but a clock may be wrong).
 */
export function deliveryTime(deliverAt: string, locale: string, now: number): string {
  const at = new Date(deliverAt);
  const time = at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  if (at.getTime() - now < 24 * 60 * 60 * 1000) return time;
  return at.toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}
