// Pins' requests, through api's `request`: a chat's pins (`GET /api/chats/{id}/pins`, as fresh
// as what this tab has seen), and pinning or unpinning a message (idempotent: 204 either way;
// the stream tells every tab).

import { type Schemas, freshness, request } from '../api';

/** The chat's pins, newest pin first. */
export async function listPins(chatId: number): Promise<Schemas['Pin'][]> {
  return (await request<Schemas['Pins']>('GET', `/api/chats/${chatId}/pins`, undefined, freshness())).data.pins;
}

/** Pins (`on`) or unpins message `messageId` of chat `chatId`. */
export async function setPin(chatId: number, messageId: number, on: boolean): Promise<void> {
  await request<void>(on ? 'PUT' : 'DELETE', `/api/chats/${chatId}/pins/${messageId}`);
}
