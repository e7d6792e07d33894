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

/** A kept message's writes to the device (db.ts's `putOutbox` and `removeOutbox`). */
export interface KeptWrites {
  /** Keeps `entry` (its write may still be under way when this returns). */
  keep: (entry: OutboxEntry) => void;
  /** Forgets the message `key`, once its write has ended: resolves when it is gone. */
  forget: (key: string) => Promise<void>;
}

/**
 * Orders each message's removal after its write, so that an answer quicker than IndexedDB never
 * leaves a sent message kept, to be sent again at the next start.
 */
export function keptWrites(put: (entry: OutboxEntry) => Promise<void>, remove: (key: string) => Promise<void>): KeptWrites {
  const writes = new Map<string, Promise<void>>();
  return {
    keep: (entry) => {
      writes.set(entry.key, put(entry));
    },
    forget: (key) => {
      const written = writes.get(key) ?? Promise.resolve();
      writes.delete(key);
      return written.then(() => remove(key));
    },
  };
}
