// The stream's events of moderation, erasure and export, parsed and checked (events.ts hands
// them here by name). All are of the log: they carry their position.
//
// - `message_hidden`, `message_unhidden`, `messages_purged`: to everyone who sees the chat
//   (participants and admins). A hidden message reaches participants without content; admins
//   get who hid it and why.
// - `message_reported`, `user_suspended`, `user_unsuspended`, `user_erased`, `chat_exported`:
//   to admins, and `user_erasure_requested` (the erased person's own streams end then). A
//   suspension reaches the person's own streams too, which then end; on reconnecting, `GET
//   /api/me` tells them.

import type { Hidden, Purged, ReportView } from './api';
import type { WireMessage } from './messages';
import {
  type Json,
  isBoolean,
  isHidden,
  isInt,
  isNullableString,
  isObject,
  isPerson,
  isPurged,
  isString,
  isTimestamp,
  isWireMessage,
} from './wireChecks';

export const MODERATION_EVENT_TYPES = [
  'message_hidden',
  'message_unhidden',
  'messages_purged',
  'message_reported',
  'user_suspended',
  'user_unsuspended',
  'user_erasure_requested',
  'user_erased',
  'chat_exported',
] as const;

export type ModerationEvent =
  | { type: 'message_hidden'; position: number; chatId: number; messageId: number; hidden: Hidden }
  | { type: 'message_unhidden'; position: number; chatId: number; message: WireMessage }
  | { type: 'messages_purged'; position: number; chatId: number; messageIds: number[]; purged: Purged }
  | { type: 'message_reported'; position: number; report: ReportView }
  | { type: 'user_suspended'; position: number; userId: number; until: string | null; reason: string }
  | { type: 'user_unsuspended'; position: number; userId: number }
  | { type: 'user_erasure_requested'; position: number; userId: number }
  | { type: 'user_erased'; position: number; userId: number }
  | { type: 'chat_exported'; position: number; chatId: number; actorId: number | null; format: string; at: string };

const CHAT_KINDS = ['direct', 'group', 'inquiry'];

/** A report as the moderation view lists it. */
export function isReportView(value: unknown): value is ReportView {
  if (!isObject(value) || !isInt(value.id) || !isString(value.reason) || !isTimestamp(value.created_at)) return false;
  if (!isPerson(value.reporter) || !(value.resolved_at === null || isTimestamp(value.resolved_at))) return false;
  if (!isNullableString(value.resolution)) return false;
  const { chat, message } = value;
  if (!isObject(chat) || !isInt(chat.id) || !CHAT_KINDS.includes(chat.kind as string) || !isNullableString(chat.title)) {
    return false;
  }
  return (
    isObject(message) &&
    isInt(message.id) &&
    isPerson(message.sender) &&
    isString(message.content) &&
    isTimestamp(message.created_at) &&
    isBoolean(message.is_deleted) &&
    (message.hidden === null || isHidden(message.hidden)) &&
    (message.purged === null || isPurged(message.purged)) &&
    Array.isArray(message.attachments)
  );
}

/** The event of a moderation frame at `position`, or null if it is not one (or malformed). */
export function parseModerationEvent(type: string, body: Json, position: number): ModerationEvent | null {
  switch (type) {
    case 'message_hidden': {
      const { chat_id, message_id, hidden } = body;
      return isInt(chat_id) && isInt(message_id) && isHidden(hidden)
        ? { type, position, chatId: chat_id, messageId: message_id, hidden }
        : null;
    }
    case 'message_unhidden': {
      const { chat_id, message } = body;
      return isInt(chat_id) && isWireMessage(message) ? { type, position, chatId: chat_id, message } : null;
    }
    case 'messages_purged': {
      const { chat_id, message_ids, purged } = body;
      if (!isInt(chat_id) || !Array.isArray(message_ids) || !message_ids.every(isInt) || !isPurged(purged)) return null;
      return { type, position, chatId: chat_id, messageIds: message_ids, purged };
    }
    case 'message_reported':
      return isReportView(body.report) ? { type, position, report: body.report } : null;
    case 'user_suspended': {
      const { user_id, until = null, reason } = body;
      if (!isInt(user_id) || !isString(reason) || !(until === null || isTimestamp(until))) return null;
      return { type, position, userId: user_id, until, reason };
    }
    case 'user_unsuspended':
    case 'user_erasure_requested':
    case 'user_erased':
      return isInt(body.user_id) ? { type, position, userId: body.user_id } : null;
    case 'chat_exported': {
      const { chat_id, actor_id = null, format, at } = body;
      if (!isInt(chat_id) || !(actor_id === null || isInt(actor_id)) || !isString(format) || !isTimestamp(at)) return null;
      return { type, position, chatId: chat_id, actorId: actor_id, format, at };
    }
    default:
      return null;
  }
}
