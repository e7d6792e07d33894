// The events of `GET /api/events/chat`, parsed and checked into one typed union. Anything
// malformed is dropped (null) rather than trusted.

import type { AdminChat, ChatSummary } from './api';
import { type ChatItem, fromAdminChat, fromSummary } from './chats';
import type { WireMessage } from './messages';

export const EVENT_TYPES = ['new_message', 'message_deleted', 'chat_created', 'reset'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type StreamEvent =
  | { type: 'new_message'; position: number; chatId: number; message: WireMessage }
  | { type: 'message_deleted'; position: number; chatId: number; messageId: number }
  | { type: 'chat_created'; position: number; chat: ChatItem }
  | { type: 'reset'; position: number; reason: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

function isWireMessage(value: unknown): value is WireMessage {
  return (
    isObject(value) &&
    isInt(value.id) &&
    isInt(value.sender_id) &&
    typeof value.content === 'string' &&
    typeof value.created_at === 'string'
  );
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
