// Reactions, as pure functions: the eight a message may get (the server's bounded set, in the
// order it offers them), a message's reactions from the wire, and what `reaction_added` and
// `reaction_removed` do to them. Each person has at most one of each emoji on a message, so
// applying an event is setting a member of a set: an event seen twice (a stream's replay after
// a snapshot that already had it) changes nothing the second time.

import type { components } from '../generated/api';

type Schemas = components['schemas'];

/** One of the eight reactions (the OpenAPI document's `Reaction.emoji`). */
export type Emoji = Schemas['Reaction']['emoji'];

/** The reactions a message may get, in the order they are offered (the server's `REACTIONS`). */
export const REACTIONS: readonly Emoji[] = ['👍', '❤️', '😂', '😮', '😢', '🙏', '👏', '✅'];

/** Each reaction's name in the locales (`reactions.names.*`): what a screen reader says of it. */
export const REACTION_NAMES = {
  '👍': 'thumbsUp',
  '❤️': 'heart',
  '😂': 'joy',
  '😮': 'surprised',
  '😢': 'sad',
  '🙏': 'pray',
  '👏': 'clap',
  '✅': 'check',
} as const satisfies Record<Emoji, string>;

/** One emoji's reactions on a message: who, in the order they reacted (their count is its length). */
export interface Reaction {
  emoji: Emoji;
  userIds: readonly number[];
}

export function isEmoji(value: unknown): value is Emoji {
  return typeof value === 'string' && (REACTIONS as readonly string[]).includes(value);
}

/** A message's reactions as history sends them (`reactions`; absent from older servers: none). */
export function fromWireReactions(reactions: readonly Schemas['Reaction'][] | undefined): Reaction[] {
  return (reactions ?? [])
    .filter((r) => isEmoji(r.emoji) && r.user_ids.length > 0)
    .map((r) => ({ emoji: r.emoji, userIds: [...r.user_ids] }));
}

/**
 * `reactions` after `userId` added (`added`) or took back `emoji`: the same array when nothing
 * changes. A new emoji goes last (the order they were first given); one nobody has left goes.
 */
export function withReaction(
  reactions: readonly Reaction[],
  emoji: Emoji,
  userId: number,
  added: boolean,
): readonly Reaction[] {
  const index = reactions.findIndex((r) => r.emoji === emoji);
  const current = index === -1 ? null : reactions[index];
  const has = current?.userIds.includes(userId) ?? false;
  if (has === added) return reactions;
  if (added) {
    if (!current) return [...reactions, { emoji, userIds: [userId] }];
    return reactions.map((r, i) => (i === index ? { emoji, userIds: [...r.userIds, userId] } : r));
  }
  const userIds = current!.userIds.filter((id) => id !== userId);
  if (userIds.length === 0) return reactions.filter((_, i) => i !== index);
  return reactions.map((r, i) => (i === index ? { emoji, userIds } : r));
}

/** Whether `userId` reacted so. */
export function reacted(reaction: Reaction, userId: number): boolean {
  return reaction.userIds.includes(userId);
}
