// The events of `GET /api/events/chat`, parsed and checked into one typed union. Anything
// malformed is dropped (null) rather than trusted.
//
// Two kinds: events of the log carry their position (the frame's `id:`), by which the stream
// resumes and drops repeats; `typing` and `presence` are not in the log and have no `id:` of
// their own. (An EventSource gives such a frame the last id it saw, so their `lastEventId`
// means nothing and is not read.)
//
// Groups add `participant_added`, `participant_removed` and `chat_renamed` (of the log; their
// `actor_id` is who did it, null if the server does not say).
//
// Inquiries add `chat_closed` (of the log): the server closed an idle inquiry, read-only from
// `closed_at`. Their people include guests (role `guest`).
//
// Attachments add `type` and `attachments` to the messages of `new_message` and
// `message_edited` (checked when present: a message with a malformed attachment is dropped).

import { type AdminChat, type ChatSummary, type Person, type Role, isAttachment } from './api';
import { type ChatItem, fromAdminChat, fromSummary } from './chats';
import type { WireMessage } from './messages';

export const EVENT_TYPES = [
  'new_message',
  'message_deleted',
  'message_edited',
  'messages_read',
  'chat_created',
  'participant_added',
  'participant_removed',
  'chat_renamed',
  'chat_closed',
  'reset',
  'typing',
  'presence',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event of the log, at its position. */
export type LogEvent =
  | { type: 'new_message'; position: number; chatId: number; message: WireMessage }
  | { type: 'message_deleted'; position: number; chatId: number; messageId: number }
  | { type: 'message_edited'; position: number; chatId: number; message: WireMessage }
  | { type: 'messages_read'; position: number; chatId: number; userId: number; upTo: number; readAt: string }
  | { type: 'chat_created'; position: number; chat: ChatItem }
  | { type: 'participant_added'; position: number; chatId: number; user: Person; actorId: number | null }
  | { type: 'participant_removed'; position: number; chatId: number; userId: number; actorId: number | null }
  | { type: 'chat_renamed'; position: number; chatId: number; title: string; actorId: number | null }
  | { type: 'chat_closed'; position: number; chatId: number; closedAt: string }
  | { type: 'reset'; position: number; reason: string };

/** An event outside the log: no position, not replayed after a reconnect. */
export type LiveEvent =
  | { type: 'typing'; chatId: number; userId: number; isTyping: boolean }
  | { type: 'presence'; userId: number; online: boolean; lastSeen: string | null };

export type StreamEvent = LogEvent | LiveEvent;

/** Whether `event` is of the log (and so has a position). */
export function isLogEvent(event: StreamEvent): event is LogEvent {
  return 'position' in event;
}

/**
 * The stream's bookkeeping for one parsed event, given the last log position handled: whether
 * to handle it, and the last position after it. An event of the log at or before that
 * position was handled already (a replay after a reconnect); `reset` always counts and moves
 * the position wherever it says. Live events are always handled and never move it.
 */
export function followPosition(last: number | null, event: StreamEvent): { handle: boolean; last: number | null } {
  if (!isLogEvent(event)) return { handle: true, last };
  if (event.type !== 'reset' && last !== null && event.position <= last) return { handle: false, last };
  return { handle: true, last: event.position };
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

const isOptional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNullableString = (value: unknown) => value === null || isString(value);
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
/** An RFC 3339 date and time with its offset, e.g. `2025-01-17T15:30:00.123Z`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const isTimestamp = (value: unknown): value is string =>
  isString(value) && RFC3339.test(value) && !Number.isNaN(Date.parse(value));

function isReplyPreview(value: unknown): boolean {
  return (
    isObject(value) &&
    isInt(value.id) &&
    (isInt(value.sender_id) || value.sender_id === null) &&
    isNullableString(value.content_preview) &&
    typeof value.is_deleted === 'boolean' &&
    (value.unavailable === undefined || typeof value.unavailable === 'boolean')
  );
}

/** A message: the four fields every message has, and the newer ones checked when present. */
function isWireMessage(value: unknown): value is WireMessage {
  return (
    isObject(value) &&
    isInt(value.id) &&
    isInt(value.sender_id) &&
    isString(value.content) &&
    isString(value.created_at) &&
    isOptional(value.is_edited, (v) => typeof v === 'boolean') &&
    isOptional(value.edited_at, isNullableString) &&
    isOptional(value.reply_to, (v) => v === null || isReplyPreview(v)) &&
    isOptional(value.read_by, (v) => Array.isArray(v) && v.every(isInt)) &&
    // A type this client does not know is shown by its attachments (messages.ts `fromWire`).
    isOptional(value.type, isString) &&
    isOptional(value.attachments, (v) => Array.isArray(v) && v.every(isAttachment))
  );
}

/** An edit says when it was made. */
function isEditedMessage(value: unknown): value is WireMessage {
  return isWireMessage(value) && value.is_edited === true && isString(value.edited_at);
}

function chatItem(value: unknown, position: number): ChatItem | null {
  if (!isObject(value) || !isInt(value.id)) return null;
  if (!isOptional(value.kind, isString)) return null; // a kind this client does not know is shown as a direct chat
  if (!isOptional(value.title, isNullableString)) return null;
  if (!isOptional(value.context, (v) => v === null || isObject(v))) return null;
  if (!isOptional(value.closed_at, (v) => v === null || isTimestamp(v))) return null;
  if (Array.isArray(value.participants)) {
    return value.participants.every(isPerson) ? fromAdminChat(value as unknown as AdminChat, position) : null;
  }
  // A participant's view names the other participant, unless it is a group's.
  if (isObject(value.participant) || (value.kind === 'group' && value.participant === null)) {
    return fromSummary(value as unknown as ChatSummary, position);
  }
  return null;
}

const ROLES: readonly Role[] = ['student', 'teacher', 'admin', 'guest'];

function isPerson(value: unknown): value is Person {
  return isObject(value) && isInt(value.id) && isString(value.name) && ROLES.includes(value.role as Role);
}

const isActor = (value: unknown): value is number | null => value === null || isInt(value);

function parseJson(data: string): Json | null {
  try {
    const body: unknown = JSON.parse(data);
    return isObject(body) ? body : null;
  } catch {
    return null;
  }
}

/** A `typing` or `presence` frame's event, or null if it is not one (or malformed). */
function parseLiveEvent(type: string, body: Json): LiveEvent | null {
  switch (type) {
    case 'typing':
      return isInt(body.chat_id) && isInt(body.user_id) && isBoolean(body.is_typing)
        ? { type, chatId: body.chat_id, userId: body.user_id, isTyping: body.is_typing }
        : null;
    case 'presence': {
      const { user_id: userId, online, last_seen: lastSeen } = body;
      if (!isInt(userId) || !isBoolean(online)) return null;
      if (lastSeen !== null && !isTimestamp(lastSeen)) return null;
      return { type, userId, online, lastSeen };
    }
    default:
      return null;
  }
}

/**
 * The event from an SSE frame's `event`, `data` and `id` fields (`lastEventId`), or null if it
 * is not one we know. Events of the log need a numeric id; `typing` and `presence` ignore it.
 */
export function parseStreamEvent(type: string, data: string, lastEventId: string): StreamEvent | null {
  const body = parseJson(data);
  if (!body) return null;
  if (type === 'typing' || type === 'presence') return parseLiveEvent(type, body);
  const position = Number(lastEventId);
  if (lastEventId === '' || !isInt(position)) return null;
  switch (type) {
    case 'new_message':
      return isInt(body.chat_id) && isWireMessage(body.message)
        ? { type, position, chatId: body.chat_id, message: body.message }
        : null;
    case 'message_deleted':
      return isInt(body.chat_id) && isInt(body.message_id)
        ? { type, position, chatId: body.chat_id, messageId: body.message_id }
        : null;
    case 'message_edited':
      return isInt(body.chat_id) && isEditedMessage(body.message)
        ? { type, position, chatId: body.chat_id, message: body.message }
        : null;
    case 'messages_read':
      return isInt(body.chat_id) && isInt(body.user_id) && isInt(body.up_to_message_id) && isString(body.read_at)
        ? {
            type,
            position,
            chatId: body.chat_id,
            userId: body.user_id,
            upTo: body.up_to_message_id,
            readAt: body.read_at,
          }
        : null;
    case 'chat_created': {
      const chat = chatItem(body.chat, position);
      return chat && { type, position, chat };
    }
    case 'participant_added': {
      const { chat_id: chatId, user, actor_id: actorId = null } = body;
      if (!isInt(chatId) || !isPerson(user) || !isActor(actorId)) return null;
      return { type, position, chatId, user: { id: user.id, name: user.name, role: user.role }, actorId };
    }
    case 'participant_removed': {
      const { chat_id: chatId, user_id: userId, actor_id: actorId = null } = body;
      if (!isInt(chatId) || !isInt(userId) || !isActor(actorId)) return null;
      return { type, position, chatId, userId, actorId };
    }
    case 'chat_renamed': {
      const { chat_id: chatId, title, actor_id: actorId = null } = body;
      if (!isInt(chatId) || !isString(title) || !isActor(actorId)) return null;
      return { type, position, chatId, title, actorId };
    }
    case 'chat_closed': {
      const { chat_id: chatId, closed_at: closedAt } = body;
      if (!isInt(chatId) || !isTimestamp(closedAt)) return null;
      return { type, position, chatId, closedAt };
    }
    case 'reset':
      return { type, position, reason: typeof body.reason === 'string' ? body.reason : '' };
    default:
      return null;
  }
}

const MAX_BACKOFF_MS = 10_000;

/** How long to wait before reopening a stream after `failures` failed attempts: at random
 * between half and all of 500 ms × 2^failures (at most 10 s), so that the tabs of a whole
 * school that lost their replica together do not all come back in the same instant. */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(500 * 2 ** failures, MAX_BACKOFF_MS);
  return ceiling / 2 + random() * (ceiling / 2);
}
