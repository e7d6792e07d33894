// The stream's events of moderation, erasure and export, parsed and checked (events.ts hands
// them here by name). All are of the log: they carry their position.
//
// - `message_hidden`, `message_unhidden`, `messages_purged`: to everyone who sees the chat
//   (participants and admins). A hidden message reaches participants without content; admins
//   get who hid it and why.
// - `message_reported`, `message_flagged` (a report without a reporter: the system's, with its
//   cause), `report_cleared`, `user_suspended`, `user_unsuspended`, `user_erased`, `chat_exported`:
//   to admins, and `user_erasure_requested` (the erased person's own streams end then);
//   `user_deactivated` and `user_reactivated` (someone left the school, or came back) to admins
//   and the person, whose streams the first ends. A
//   suspension reaches the person's own streams too, which then end; on reconnecting, `GET
//   /api/me` tells them.

import type { Hidden, Purged, ReportView } from '../api';
import type { components } from '../generated/api';
import type { WireMessage } from '../conversation/model';
import {
  type Json,
  hiddenOf,
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
  'message_flagged',
  'report_cleared',
  'user_suspended',
  'user_unsuspended',
  'user_erasure_requested',
  'user_erased',
  'user_deactivated',
  'user_reactivated',
  'chat_exported',
] as const;

export type ModerationEvent =
  | { type: 'message_hidden'; position: number; chatId: number; messageId: number; hidden: Hidden }
  | { type: 'message_unhidden'; position: number; chatId: number; message: WireMessage }
  | { type: 'messages_purged'; position: number; chatId: number; messageIds: number[]; purged: Purged }
  | { type: 'message_reported' | 'message_flagged'; position: number; report: ReportView }
  | { type: 'report_cleared'; position: number; chatId: number; reportId: number; actorId: number | null }
  | { type: 'user_suspended'; position: number; userId: number; until: string | null; reason: string }
  | { type: 'user_unsuspended'; position: number; userId: number }
  | { type: 'user_erasure_requested'; position: number; userId: number }
  | { type: 'user_erased'; position: number; userId: number }
  | { type: 'user_deactivated' | 'user_reactivated'; position: number; userId: number }
  | { type: 'chat_exported'; position: number; chatId: number; actorId: number | null; format: string; at: string };

type Schemas = components['schemas'];

const CHAT_KINDS = ['direct', 'group', 'inquiry', 'family'];

/** A report as the moderation view lists it. */
export function isReportView(value: unknown): value is ReportView {
  if (!isObject(value) || !isInt(value.id) || !isString(value.reason) || !isTimestamp(value.created_at)) return false;
  const { reporter = null, flag = null } = value;
  if (!(reporter === null || isPerson(reporter)) || !isNullableString(flag)) return false;
  if (!(value.resolved_at === null || isTimestamp(value.resolved_at)) || !isNullableString(value.resolution)) return false;
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

// Each event's data, checked into its schema of the OpenAPI document (null: malformed), so a
// field the server renames or adds as required fails to compile here.

function hiddenData({ chat_id, message_id, hidden }: Json): Schemas['MessageHiddenEvent'] | null {
  return isInt(chat_id) && isInt(message_id) && isHidden(hidden) ? { chat_id, message_id, hidden: hiddenOf(hidden) } : null;
}

/** `message_unhidden`'s data (`MessageEvent`), its message checked as a `WireMessage`. */
function unhiddenData({ chat_id, message }: Json): { chat_id: number; message: WireMessage } | null {
  return isInt(chat_id) && isWireMessage(message) ? { chat_id, message } : null;
}

function purgedData({ chat_id, message_ids, purged }: Json): Schemas['MessagesPurgedEvent'] | null {
  if (!isInt(chat_id) || !Array.isArray(message_ids) || !message_ids.every(isInt) || !isPurged(purged)) return null;
  return { chat_id, message_ids, purged };
}

function reportedData({ report }: Json): Schemas['MessageReportedEvent'] | null {
  return isReportView(report) ? { report } : null;
}

function clearedData({ chat_id, report_id, actor_id = null }: Json): Schemas['ReportClearedEvent'] | null {
  return isInt(chat_id) && isInt(report_id) && (actor_id === null || isInt(actor_id)) ? { chat_id, report_id, actor_id } : null;
}

function suspendedData({ user_id, until = null, reason }: Json): Schemas['UserSuspendedEvent'] | null {
  return isInt(user_id) && isString(reason) && (until === null || isTimestamp(until)) ? { user_id, until, reason } : null;
}

function userData({ user_id }: Json): Schemas['UserEvent'] | null {
  return isInt(user_id) ? { user_id } : null;
}

function exportedData({ chat_id, actor_id = null, format, at }: Json): Schemas['ChatExportedEvent'] | null {
  if (!isInt(chat_id) || !(actor_id === null || isInt(actor_id)) || !isString(format) || !isTimestamp(at)) return null;
  return { chat_id, actor_id, format, at };
}

/** The event of a moderation frame at `position`, or null if it is not one (or malformed). */
export function parseModerationEvent(type: string, body: Json, position: number): ModerationEvent | null {
  switch (type) {
    case 'message_hidden': {
      const data = hiddenData(body);
      return data && { type, position, chatId: data.chat_id, messageId: data.message_id, hidden: data.hidden };
    }
    case 'message_unhidden': {
      const data = unhiddenData(body);
      return data && { type, position, chatId: data.chat_id, message: data.message };
    }
    case 'messages_purged': {
      const data = purgedData(body);
      return data && { type, position, chatId: data.chat_id, messageIds: data.message_ids, purged: data.purged };
    }
    case 'message_reported':
    case 'message_flagged': {
      const data = reportedData(body);
      return data && { type, position, report: data.report };
    }
    case 'report_cleared': {
      const data = clearedData(body);
      return data && { type, position, chatId: data.chat_id, reportId: data.report_id, actorId: data.actor_id };
    }
    case 'user_suspended': {
      const data = suspendedData(body);
      return data && { type, position, userId: data.user_id, until: data.until, reason: data.reason };
    }
    case 'user_unsuspended':
    case 'user_erasure_requested':
    case 'user_erased':
    case 'user_deactivated':
    case 'user_reactivated': {
      const data = userData(body);
      return data && { type, position, userId: data.user_id };
    }
    case 'chat_exported': {
      const data = exportedData(body);
      return data && { type, position, chatId: data.chat_id, actorId: data.actor_id, format: data.format, at: data.at };
    }
    default:
      return null;
  }
}
