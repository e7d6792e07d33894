// The requests of quiet hours (docs/safeguarding.md), through api.ts's `request`: the caller's
// held messages (an admin's: everyone's), and an admin delivering one before the window ends.

import { type HeldMessage, type HeldMessages, request } from '../api';

/** The caller's held messages (an admin's: everyone's), soonest first; of one chat, or all. */
export async function heldMessages(chatId: number | null = null): Promise<HeldMessage[]> {
  const query = chatId === null ? '' : `?${new URLSearchParams({ chat_id: String(chatId) })}`;
  return (await request<HeldMessages>('GET', `/api/held-messages${query}`)).data.messages;
}

/** Delivers a held message now (admins); 404 when it is held no longer (delivered, or dropped). */
export async function deliverHeld(id: number): Promise<void> {
  await request<unknown>('POST', `/api/admin/held-messages/${id}/deliver`);
}
