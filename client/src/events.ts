// The events of `GET /api/events/chat`, parsed and checked into one typed union. Anything
// malformed is dropped (null) rather than trusted.

import type { AdminChat, ChatSummary } from './api';
import { type ChatItem, fromAdminChat, fromSummary } from './chats';
import type { WireMessage } from './messages';

export const EVENT_TYPES = [
  'new_message',
  'message_deleted',
  'message_edited',
  'messages_read',
  'chat_created',
  'reset',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type StreamEvent =
  | { type: 'new_message'; position: number; chatId: number; message: WireMessage }
  | { type: 'message_deleted'; position: number; chatId: number; messageId: number }
  | { type: 'message_edited'; position: number; chatId: number; message: WireMessage }
  | { type: 'messages_read'; position: number; chatId: number; userId: number; upTo: number; readAt: string }
  | { type: 'chat_created'; position: number; chat: ChatItem }
  | { type: 'reset'; position: number; reason: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

const isOptional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNullableString = (value: unknown) => value === null || isString(value);

function isReplyPreview(value: unknown): boolean {
  return (
    isObject(value) &&
    isInt(value.id) &&
    isInt(value.sender_id) &&
    isNullableString(value.content_preview) &&
    typeof value.is_deleted === 'boolean'
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
    isOptional(value.read_by, (v) => Array.isArray(v) && v.every(isInt))
  );
}

/** An edit says when it was made. */
function isEditedMessage(value: unknown): value is WireMessage {
  return isWireMessage(value) && value.is_edited === true && isString(value.edited_at);
}

function chatItem(value: unknown, position: number): ChatItem | null {
  if (!isObject(value) || !isInt(value.id)) return null;
  if (Array.isArray(value.participants)) return fromAdminChat(value as unknown as AdminChat, position);
  if (isObject(value.participant)) return fromSummary(value as unknown as ChatSummary, position);
  return null;
}

/** The event from an SSE frame's `event`, `data` and `id` fields, or null if it is not one we know. */
export function parseStreamEvent(type: string, data: string, lastEventId: string): StreamEvent | null {
  const position = Number(lastEventId);
  if (lastEventId === '' || !isInt(position)) return null;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(body)) return null;
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
    case 'reset':
      return { type, position, reason: typeof body.reason === 'string' ? body.reason : '' };
    default:
      return null;
  }
}
