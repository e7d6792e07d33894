// The requests of scheduled send (docs/api.md), through api.ts's `request`: scheduling a
// message, our scheduled messages of a chat, changing and cancelling one.

import { type ScheduledMessage, type ScheduledMessages, type Schemas, request, retryingTransient } from '../api';

/**
 * Schedules a message for `sendAt` (RFC 3339). `idempotencyKey` makes a repeat of a request
 * whose answer was lost answer the same scheduled message, never a second one.
 */
export async function scheduleMessage(
  chatId: number,
  content: string,
  sendAt: string,
  idempotencyKey: string,
  replyToId: number | null = null,
): Promise<ScheduledMessage> {
  const body: Schemas['SendMessage'] = {
    chat_id: chatId,
    content,
    send_at: sendAt,
    ...(replyToId === null ? {} : { reply_to_message_id: replyToId }),
  };
  const headers = { 'idempotency-key': idempotencyKey };
  const { data } = await retryingTransient(() => request<ScheduledMessage>('POST', '/api/messages', body, headers));
  return data;
}

/** Our scheduled messages of chat `chatId` not sent yet (pending or failed), soonest first. */
export async function scheduledMessages(chatId: number): Promise<ScheduledMessage[]> {
  const query = new URLSearchParams({ chat_id: String(chatId) });
  return (await request<ScheduledMessages>('GET', `/api/scheduled-messages?${query}`)).data.messages;
}

/** Changes the text or the time of one (a failed one is scheduled again). */
export async function changeScheduled(id: number, change: Schemas['ChangeScheduled']): Promise<ScheduledMessage> {
  return (await request<ScheduledMessage>('PATCH', `/api/scheduled-messages/${id}`, change)).data;
}

/** Cancels one (dismisses a failed one). */
export async function cancelScheduled(id: number): Promise<void> {
  await request<unknown>('DELETE', `/api/scheduled-messages/${id}`);
}
