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
//
// Moderation adds `message_hidden`, `message_unhidden`, `messages_purged` and, for admins,
// `message_reported`, `user_suspended`, `user_unsuspended`, `user_erased`, `chat_exported`
// (of the log; moderationEvents.ts), and `hidden` and `purged` to messages (wireChecks.ts).
//
// Guardians add `guardian_linked` and `guardian_unlinked` (of the log: to admins, and to the
// guardian concerned, whose stream the server ends after an unlinking): a guardian reads a
// student's direct chats from now on, or no longer.
//
// Reactions add `reaction_added` and `reaction_removed` (of the log: reactionEvents.ts).
//
// Archive and mute add `chat_muted`, `chat_unmuted`, `chat_archived` and `chat_unarchived` (of
// the log, to the person's own streams only): their setting of a chat (`chat_setting` here).
//
// Departures add `chat_handed_over` (of the log: to the student, both teachers, the student's
// guardians and admins): an admin gave a direct chat to another teacher.
//
// Pins add `message_pinned` and `message_unpinned` (of the log, to everyone who reads the
// message; pins/pins.ts): the pinned bar reads the chat's pins again on them.
//
// Each event's data is checked into its schema of the OpenAPI document (`MessageDeletedEvent`,
// `MessagesReadEvent`, `TypingEvent`, … of src/generated/api.ts), so a field the server renames
// or adds as required fails to compile here; the messages of `new_message` and
// `message_edited` into `WireMessage`, which the document's `MessageBody` fits (events.test.ts).

import type { AdminChat, ChatSummary, Person } from '../api';
import { fromAdminChat, fromSummary } from '../chats/items';
import type { ChatItem } from '../chats/model';
import type { components } from '../generated/api';
import type { WireMessage } from '../conversation/model';
import { MODERATION_EVENT_TYPES, type ModerationEvent, parseModerationEvent } from './moderationEvents';
import { REACTION_EVENT_TYPES, type ReactionEvent, parseReactionEvent } from './reactionEvents';
import { PIN_EVENT_TYPES, type PinEvent, parsePinEvent } from '../pins/pins';
import {
  type Json,
  isBoolean,
  isInt,
  isNullableString,
  isObject,
  isOptional,
  isPerson,
  isString,
  isTimestamp,
  isWireMessage,
} from './wireChecks';

type Schemas = components['schemas'];

/** Our own settings of a chat, as the stream names them. */
export const CHAT_SETTINGS = ['chat_muted', 'chat_unmuted', 'chat_archived', 'chat_unarchived'] as const;
export type ChatSetting = (typeof CHAT_SETTINGS)[number];

export const EVENT_TYPES = [
  'new_message',
  'message_sent',
  'message_deleted',
  'message_edited',
  'messages_read',
  'chat_created',
  'participant_added',
  'participant_removed',
  'chat_renamed',
  'chat_closed',
  'chat_handed_over',
  'guardian_linked',
  'guardian_unlinked',
  ...CHAT_SETTINGS,
  'closure_requested',
  'closure_declined',
  'reset',
  'typing',
  'presence',
  ...MODERATION_EVENT_TYPES,
  ...REACTION_EVENT_TYPES,
  ...PIN_EVENT_TYPES,
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
  | { type: 'chat_closed'; position: number; chatId: number; closedAt: string; reason: string }
  | { type: 'chat_handed_over'; position: number; chatId: number; fromTeacherId: number; toTeacher: Person }
  | { type: 'guardian_linked' | 'guardian_unlinked'; position: number; guardianId: number; studentId: number }
  | { type: 'chat_setting'; position: number; chatId: number; setting: ChatSetting }
  /** A guardian's closure request made or declined (admins, and the guardian who asked). */
  | { type: 'closure_requested' | 'closure_declined'; position: number; chatId: number; requestId: number }
  | { type: 'reset'; position: number; reason: string }
  | ReactionEvent
  | ModerationEvent
  | PinEvent;

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

/** An edit says when it was made. */
function isEditedMessage(value: unknown): value is WireMessage {
  return isWireMessage(value) && value.is_edited === true && isString(value.edited_at);
}

function chatItem(value: unknown, position: number): ChatItem | null {
  if (!isObject(value) || !isInt(value.id)) return null;
  if (!isOptional(value.kind, isString)) return null; // a kind this client does not know is shown as a direct chat
  if (!isOptional(value.title, isNullableString)) return null;
  if (!isOptional(value.context, (v) => v === null || isObject(v))) return null;
  if (!isOptional(value.subjects, (v) => Array.isArray(v) && v.every(isString))) return null;
  if (!isOptional(value.closed_at, (v) => v === null || isTimestamp(v))) return null;
  if (!isOptional(value.guardians_read, isBoolean)) return null;
  if (!isOptional(value.announcement, isBoolean)) return null;
  if (!isOptional(value.ward, (v) => v === null || isPerson(v))) return null;
  if (Array.isArray(value.participants)) {
    return value.participants.every(isPerson) ? fromAdminChat(value as unknown as AdminChat, position) : null;
  }
  // A participant's view names the other participant, unless it is a group's.
  if (isObject(value.participant) || (value.kind === 'group' && (value.participant ?? null) === null)) {
    return fromSummary(value as unknown as ChatSummary, position);
  }
  return null;
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

// Each event's data, checked into its schema (null: malformed).

function typingData({ chat_id, user_id, is_typing }: Json): Schemas['TypingEvent'] | null {
  return isInt(chat_id) && isInt(user_id) && isBoolean(is_typing) ? { chat_id, user_id, is_typing } : null;
}

/** `last_seen`: null while online (and for someone never seen); required here as the server always sends it. */
function presenceData({ user_id, online, last_seen }: Json): (Schemas['PresenceEvent'] & { last_seen: string | null }) | null {
  if (!isInt(user_id) || !isBoolean(online)) return null;
  if (last_seen !== null && !isTimestamp(last_seen)) return null;
  return { user_id, online, last_seen };
}

function messageDeletedData({ chat_id, message_id }: Json): Schemas['MessageDeletedEvent'] | null {
  return isInt(chat_id) && isInt(message_id) ? { chat_id, message_id } : null;
}

/** Whose read it is must be said (the document allows it absent: such a read tells this client nothing). */
function messagesReadData(body: Json): (Schemas['MessagesReadEvent'] & { user_id: number }) | null {
  const { chat_id, user_id, up_to_message_id, read_at } = body;
  return isInt(chat_id) && isInt(user_id) && isInt(up_to_message_id) && isString(read_at)
    ? { chat_id, user_id, up_to_message_id, read_at }
    : null;
}

function participantAddedData({ chat_id, user, actor_id = null }: Json): Schemas['ParticipantAddedEvent'] | null {
  if (!isInt(chat_id) || !isPerson(user) || !isActor(actor_id)) return null;
  return { chat_id, user: { id: user.id, name: user.name, role: user.role }, actor_id };
}

function participantRemovedData({ chat_id, user_id, actor_id = null }: Json): Schemas['ParticipantRemovedEvent'] | null {
  return isInt(chat_id) && isInt(user_id) && isActor(actor_id) ? { chat_id, user_id, actor_id } : null;
}

function chatRenamedData({ chat_id, title, actor_id = null }: Json): Schemas['ChatRenamedEvent'] | null {
  return isInt(chat_id) && isString(title) && isActor(actor_id) ? { chat_id, title, actor_id } : null;
}

// `reason` (idle, revoked, blocked, guardian_request) and who closed it: an older server sent
// neither, which reads as an idle inquiry closed by the system.
function chatClosedData({
  chat_id,
  closed_at,
  reason = 'idle',
  actor_id = null,
  request_id = null,
}: Json): Schemas['ChatClosedEvent'] | null {
  return isInt(chat_id) && isTimestamp(closed_at) && isString(reason) && isActor(actor_id) && isActor(request_id)
    ? { chat_id, closed_at, reason, actor_id, request_id }
    : null;
}

function chatHandedOverData({
  chat_id,
  from_teacher_id,
  to_teacher,
  actor_id = null,
}: Json): Schemas['ChatHandedOverEvent'] | null {
  if (!isInt(chat_id) || !isInt(from_teacher_id) || !isPerson(to_teacher) || !isActor(actor_id)) return null;
  return { chat_id, from_teacher_id, to_teacher: { id: to_teacher.id, name: to_teacher.name, role: to_teacher.role }, actor_id };
}

function guardianData({ guardian_id, student_id }: Json): Schemas['GuardianEvent'] | null {
  return isInt(guardian_id) && isInt(student_id) ? { guardian_id, student_id } : null;
}

/** `new_message` and `message_edited` (`MessageEvent`), their message checked as a `WireMessage`. */
function messageData({ chat_id, message }: Json): { chat_id: number; message: WireMessage } | null {
  return isInt(chat_id) && isWireMessage(message) ? { chat_id, message } : null;
}

/** A `typing` or `presence` frame's event, or null if it is not one (or malformed). */
function parseLiveEvent(type: string, body: Json): LiveEvent | null {
  switch (type) {
    case 'typing': {
      const data = typingData(body);
      return data && { type, chatId: data.chat_id, userId: data.user_id, isTyping: data.is_typing };
    }
    case 'presence': {
      const data = presenceData(body);
      return data && { type, userId: data.user_id, online: data.online, lastSeen: data.last_seen };
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
    // Our own message, sent from this tab or another (the server sends no `new_message` to
    // its sender's streams): handled as a new message, which a conversation adds once by its
    // id, so the sending tab keeps its one copy and our other tabs add it.
    case 'new_message':
    case 'message_sent': {
      const data = messageData(body);
      return data && { type: 'new_message', position, chatId: data.chat_id, message: data.message };
    }
    case 'message_deleted': {
      const data = messageDeletedData(body);
      return data && { type, position, chatId: data.chat_id, messageId: data.message_id };
    }
    case 'message_edited': {
      const data = messageData(body);
      return data && isEditedMessage(data.message) ? { type, position, chatId: data.chat_id, message: data.message } : null;
    }
    case 'messages_read': {
      const data = messagesReadData(body);
      return (
        data && {
          type,
          position,
          chatId: data.chat_id,
          userId: data.user_id,
          upTo: data.up_to_message_id,
          readAt: data.read_at,
        }
      );
    }
    case 'chat_created': {
      const chat = chatItem(body.chat, position);
      return chat && { type, position, chat };
    }
    case 'participant_added': {
      const data = participantAddedData(body);
      return data && { type, position, chatId: data.chat_id, user: data.user, actorId: data.actor_id ?? null };
    }
    case 'participant_removed': {
      const data = participantRemovedData(body);
      return data && { type, position, chatId: data.chat_id, userId: data.user_id, actorId: data.actor_id ?? null };
    }
    case 'chat_renamed': {
      const data = chatRenamedData(body);
      return data && { type, position, chatId: data.chat_id, title: data.title, actorId: data.actor_id ?? null };
    }
    case 'chat_closed': {
      const data = chatClosedData(body);
      return data && { type, position, chatId: data.chat_id, closedAt: data.closed_at, reason: data.reason };
    }
    case 'chat_handed_over': {
      const data = chatHandedOverData(body);
      return (
        data && { type, position, chatId: data.chat_id, fromTeacherId: data.from_teacher_id, toTeacher: data.to_teacher }
      );
    }
    case 'guardian_linked':
    case 'guardian_unlinked': {
      const data = guardianData(body);
      return data && { type, position, guardianId: data.guardian_id, studentId: data.student_id };
    }
    case 'chat_muted':
    case 'chat_unmuted':
    case 'chat_archived':
    case 'chat_unarchived': {
      const data: Schemas['ChatSettingEvent'] | null = isInt(body.chat_id) ? { chat_id: body.chat_id } : null;
      return data && { type: 'chat_setting', position, chatId: data.chat_id, setting: type };
    }
    case 'closure_requested':
    case 'closure_declined': {
      // The request as it is now: only which one is read here; its view is fetched again.
      const request = isObject(body.request) ? body.request : null;
      return request && isInt(request.id) && isInt(request.chat_id)
        ? { type, position, chatId: request.chat_id, requestId: request.id }
        : null;
    }
    case 'reset':
      return { type, position, reason: typeof body.reason === 'string' ? body.reason : '' };
    default:
      // Reactions', pins', moderation's, or one this client does not know (null: ignored).
      return (
        parseReactionEvent(type, body, position) ??
        parsePinEvent(type, body, position) ??
        parseModerationEvent(type, body, position)
      );
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
