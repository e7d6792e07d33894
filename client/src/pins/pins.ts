// Pinned messages as pure functions: the stream's `message_pinned` and `message_unpinned`
// (parsed and checked here; events.ts hands them over by name), which events change a chat's
// pins (`changesPins`: the pinned bar reads them again on each), which pins a conversation shows
// now (`shownPins`: a message deleted, hidden or purged is unpinned by the server at once, and
// leaves the bar before the list is read again; an edit shows its new text), what the bar says of
// one (its first line), and who may pin (a group's owner, a direct chat's participants, an
// inquiry's teacher; never an admin, a guardian, a guest, a suspended person, a closed chat).

import type { Schemas } from '../api';
import type { Conversation } from '../conversation/model';
import type { Json } from '../stream/wireChecks';
import { isInt, isTimestamp } from '../stream/wireChecks';

/** A pin as `GET /api/chats/{id}/pins` lists it. */
export type Pin = Schemas['Pin'];

export const PIN_EVENT_TYPES = ['message_pinned', 'message_unpinned'] as const;

/** `actorId` pinned message `messageId` of `chatId` at its top, or unpinned it. */
export type PinEvent = {
  type: (typeof PIN_EVENT_TYPES)[number];
  position: number;
  chatId: number;
  messageId: number;
  actorId: number | null;
};

/** A pin event from its frame's data (`PinEvent` of the document), or null (another type, or malformed). */
export function parsePinEvent(type: string, body: Json, position: number): PinEvent | null {
  if (type !== 'message_pinned' && type !== 'message_unpinned') return null;
  const { chat_id, message_id, actor_id = null, at } = body;
  const actorOk = actor_id === null || isInt(actor_id);
  if (!isInt(chat_id) || !isInt(message_id) || !actorOk || !isTimestamp(at)) return null;
  const data: Schemas['PinEvent'] = { chat_id, message_id, actor_id: actor_id as number | null, at };
  return { type, position, chatId: data.chat_id, messageId: data.message_id, actorId: data.actor_id ?? null };
}

/** Whether a stream event may change some chat's pins: a pin, an unpin, or a message's going (deleted, hidden, purged); a `reset` too. */
export function changesPins(event: { type: string }): boolean {
  return [...PIN_EVENT_TYPES, 'message_deleted', 'message_hidden', 'messages_purged', 'reset'].includes(event.type);
}

/** A pin as the bar shows it: the message's id and its text as it is now. */
export interface ShownPin {
  messageId: number;
  pinnedBy: number;
  text: string;
}

/**
 * The pins to show, newest pin first: those the server listed, less the messages this
 * conversation has seen go since (deleted, hidden, purged), each with its newest text.
 */
export function shownPins(pins: readonly Pin[], conversation: Conversation | undefined): ShownPin[] {
  return pins
    .filter((pin) => {
      if (!conversation) return true;
      if (conversation.deleted.has(pin.message_id)) return false;
      const moderated = conversation.moderated.get(pin.message_id);
      if (moderated && moderated.kind !== 'unhidden') return false;
      const loaded = conversation.messages.find((m) => m.id === pin.message_id);
      return !loaded || (loaded.hidden === null && loaded.purged === null);
    })
    .map((pin) => ({
      messageId: pin.message_id,
      pinnedBy: pin.pinned_by,
      text: conversation?.edits.get(pin.message_id)?.content ?? pin.message.content,
    }));
}

/** The first line of a message's text (at most `max` characters), for the bar; empty for a message of files only. */
export function firstLine(text: string, max = 120): string {
  const line = text.trim().split('\n', 1)[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Who may pin and unpin in a chat (the server decides again). */
export function mayPin(
  chat: { kind: 'direct' | 'group' | 'inquiry' | 'family'; createdBy: number | null },
  me: { id: number; role: string },
  writable: boolean,
): boolean {
  if (!writable || me.role === 'admin' || me.role === 'guest') return false;
  // A guardian pins only in their own family chat with a teacher.
  if (me.role === 'guardian') return chat.kind === 'family';
  return chat.kind !== 'group' || chat.createdBy === me.id;
}
