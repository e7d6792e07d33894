// A message as shown, from what the server sent and what the conversation has learnt of it
// since: the wire's shape made the client's (`fromWire`), with the newest edit, the deletions
// and the moderation seen on the stream applied (`withKnown`), and pages merged by id
// (`mergeMessages`). Pure; messages.ts's reducer and historyWindow.ts build on it.

import { messageType } from '../attachments/attachments';
import { removalOfPreview } from '../moderation/removal';
import { fromWireReactions } from '../reactions/reactions';
import type { Conversation, Edit, Message, Shown, WireMessage } from './model';
import { takesEdits, withModerated } from './moderated';
import { quoteWithKnown } from './quotes';

export function fromWire(message: WireMessage): Message {
  const reply = message.reply_to;
  const attachments = message.attachments ?? [];
  const removed = removalOfPreview(reply?.removed);
  return {
    id: message.id,
    senderId: message.sender_id,
    content: message.content,
    createdAt: message.created_at,
    isEdited: message.is_edited ?? false,
    editedAt: message.edited_at ?? null,
    replyTo: reply
      ? {
          id: reply.id,
          senderId: reply.sender_id ?? null,
          preview: reply.content_preview ?? null,
          isDeleted: reply.is_deleted,
          ...(reply.unavailable ? { unavailable: true } : {}),
          ...(removed ? { removed } : {}),
        }
      : null,
    readBy: message.read_by ?? [],
    type: messageType(message.type, attachments),
    attachments,
    hidden: message.hidden ?? null,
    purged: message.purged ?? null,
    reactions: fromWireReactions(message.reactions),
    mentions: message.mentions ?? [],
  };
}

/** What unhiding a message brings back: its content as `message` carries it. */
export function shownOf(message: WireMessage): Shown {
  const { content, attachments, type, isEdited, editedAt, mentions } = fromWire(message);
  return { content, attachments, type, isEdited, editedAt, mentions };
}

/** The edit a wire message carries, if it was edited. */
export function editOf(message: WireMessage): Edit | null {
  return message.is_edited && message.edited_at
    ? { content: message.content, editedAt: message.edited_at, mentions: message.mentions ?? [] }
    : null;
}

/** Whether `edit` is at least as new as what `editedAt` shows (equal: the same edit again). */
export function isNewer(edit: Edit, editedAt: string | null): boolean {
  return editedAt === null || Date.parse(edit.editedAt) >= Date.parse(editedAt);
}

/** What a conversation knows of messages beyond what a message says itself. */
export type Known = Pick<Conversation, 'deleted' | 'edits' | 'moderated'>;

/** `message` with what is known about it and about the message it quotes. */
export function withKnown(message: Message, { deleted, edits, moderated }: Known): Message {
  // Unhidden first (the edits made after it apply), hidden and purged last (no edit undoes them).
  let result = withModerated(message, moderated.get(message.id));
  const edit = edits.get(message.id);
  const changes = edit && (result.content !== edit.content || result.editedAt !== edit.editedAt);
  if (edit && changes && takesEdits(result) && isNewer(edit, result.editedAt)) {
    result = { ...result, content: edit.content, isEdited: true, editedAt: edit.editedAt, mentions: edit.mentions ?? result.mentions };
  }
  result = withModerated(result, moderated.get(message.id));
  const quoted = result.replyTo && quoteWithKnown(result.replyTo, deleted, edits, moderated);
  if (quoted && quoted !== result.replyTo) result = { ...result, replyTo: quoted };
  return result;
}

/** `existing` plus `incoming`, ascending by id, each id once, deleted ids left out. */
export function mergeMessages(
  existing: readonly Message[],
  incoming: readonly Message[],
  deleted: ReadonlySet<number>,
): Message[] {
  const byId = new Map<number, Message>();
  for (const message of existing) byId.set(message.id, message);
  for (const message of incoming) if (!byId.has(message.id)) byId.set(message.id, message);
  return [...byId.values()].filter((m) => !deleted.has(m.id)).sort((a, b) => a.id - b.id);
}

/** Wire messages as shown: with the edits, deletions and moderation already known applied. */
export function known(state: Known, messages: readonly WireMessage[]): Message[] {
  return messages.map((m) => withKnown(fromWire(m), state));
}
