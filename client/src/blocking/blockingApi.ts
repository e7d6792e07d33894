// Blocking and closing on request (docs/safeguarding.md#blocking), through api.ts's `request`:
// a teacher blocks an inquiry's visitor; a guardian asks the school to close their child's chat
// and lists their requests; admins list every request and close or decline one.

import { type Schemas, request } from '../api';

export type ClosureRequest = Schemas['ClosureRequestView'];
type ClosureRequestList = Schemas['ClosureRequestList'];

/** The longest reason the server takes (the dialog asks for at most the reports' 500). */
export const MAX_CLOSURE_REASON_CHARS = 1000;

/** Closes the inquiry and refuses its visitor at the link from now on (204, also a second time). */
export async function blockVisitor(chatId: number): Promise<void> {
  await request<void>('POST', `/api/chats/${chatId}/block`);
}

/** A guardian's request that the school close `chatId` (their child's chat with a teacher). */
export async function requestClosure(chatId: number, reason: string): Promise<ClosureRequest> {
  return (await request<ClosureRequest>('POST', `/api/chats/${chatId}/closure-requests`, { reason })).data;
}

/** The caller's own requests, newest first, with their outcomes. */
export async function myClosureRequests(): Promise<ClosureRequest[]> {
  return (await request<ClosureRequestList>('GET', '/api/closure-requests')).data.requests;
}

/** Every request (admins): the undecided first. */
export async function allClosureRequests(): Promise<ClosureRequest[]> {
  return (await request<ClosureRequestList>('GET', '/api/admin/closure-requests')).data.requests;
}

/** Grants it: the chat becomes read-only for both participants. */
export async function closeOnRequest(id: number): Promise<void> {
  await request<void>('POST', `/api/admin/closure-requests/${id}/close`);
}

/** Declines it: the chat stays open. */
export async function declineRequest(id: number): Promise<void> {
  await request<void>('POST', `/api/admin/closure-requests/${id}/decline`, {});
}
