// The requests of reactions, through api.ts's `request` (same origin, the session cookie,
// `{"error", "code"}` refusals as ApiError). The stream's `reaction_added` and
// `reaction_removed` (to every tab of everyone who sees the message, ours too) show the change.

import { request } from '../api';
import type { Emoji } from './reactions';

/**
 * Reacts to a message with `emoji` (`on`), or takes the reaction back. Doing what is so
 * already succeeds and changes nothing. Refusals: 409 `message_hidden`, `message_deleted`,
 * `message_purged`, `chat_closed`; 403 for a reader who may not react.
 */
export async function react(messageId: number, emoji: Emoji, on: boolean): Promise<void> {
  const path = `/api/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`;
  await request<unknown>(on ? 'PUT' : 'DELETE', path);
}
