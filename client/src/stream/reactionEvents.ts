// The stream's `reaction_added` and `reaction_removed` (of the log), parsed and checked (events.ts
// hands them here by name): `userId` reacted to message `messageId` with `emoji`, or took it
// back. They reach whoever sees the message (its chat's members who joined before it, admins,
// a direct chat's guardians); a resumed stream replays none for a message hidden, deleted or
// purged since.

import { type Emoji, isEmoji } from '../reactions/reactions';
import type { components } from '../generated/api';
import { type Json, isInt } from './wireChecks';

export const REACTION_EVENT_TYPES = ['reaction_added', 'reaction_removed'] as const;

export type ReactionEvent = {
  type: (typeof REACTION_EVENT_TYPES)[number];
  position: number;
  chatId: number;
  messageId: number;
  emoji: Emoji;
  userId: number;
};

/** The event's data checked into its schema (null: malformed, or an emoji this client does not know). */
function reactionData({ chat_id, message_id, emoji, user_id }: Json): components['schemas']['ReactionEvent'] | null {
  return isInt(chat_id) && isInt(message_id) && isEmoji(emoji) && isInt(user_id)
    ? { chat_id, message_id, emoji, user_id }
    : null;
}

/** A reaction's event, or null if `type` is not one (or it is malformed). */
export function parseReactionEvent(type: string, body: Json, position: number): ReactionEvent | null {
  if (type !== 'reaction_added' && type !== 'reaction_removed') return null;
  const data = reactionData(body);
  return (
    data && { type, position, chatId: data.chat_id, messageId: data.message_id, emoji: data.emoji, userId: data.user_id }
  );
}
