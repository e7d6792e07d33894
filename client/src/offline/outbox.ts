// The outbox, the pure part: a message written and not yet confirmed by the server, as it is
// kept (db.ts) across reloads, and which of them to show again as pending (useOutbox.ts).

import type { Attachment } from '../api';
import type { Conversations } from '../conversation/messages';
import type { ReplyRef } from '../conversation/model';

export interface OutboxEntry {
  /** The pending message's key and its Idempotency-Key: the same on every attempt. */
  key: string;
  chatId: number;
  senderId: number;
  content: string;
  createdAt: string;
  replyTo: ReplyRef | null;
  attachments: readonly Attachment[];
}

/**
 * The entries to show as pending again (after a reload): those of a conversation now loaded
 * that shows no pending message with their key, and not shown before in this tab.
 */
export function toRestore(entries: Iterable<OutboxEntry>, conversations: Conversations, shown: ReadonlySet<string>): OutboxEntry[] {
  return [...entries].filter((entry) => {
    const conversation = conversations[entry.chatId];
    if (!conversation || conversation.status !== 'ready' || shown.has(entry.key)) return false;
    return !conversation.pending.some((p) => p.key === entry.key);
  });
}
