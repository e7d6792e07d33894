// Replies: the quote a reply shows of the message it answers. The server sends a preview of
// the quoted text as it was when the history was read; the client keeps it current as the
// quoted message is edited, deleted, hidden, unhidden or purged (messages.ts applies
// `quoteWithKnown`).

import { type Moderated, quoteModerated } from './moderated';
import type { Removal } from './removal';

/** A reply's quote shows at most this many characters (code points) of the quoted text. */
export const PREVIEW_CHARS = 100;

/** The message a reply quotes. */
export interface ReplyRef {
  id: number;
  /** Null when the quoted message is unavailable to us. */
  senderId: number | null;
  /** The start of its text as it is now; null once it is deleted (or unavailable). */
  preview: string | null;
  isDeleted: boolean;
  /** Written before we joined: the server shows us only that it exists. */
  unavailable?: boolean;
  /** A moderator hid it, or its content was purged: a placeholder instead of its text. */
  removed?: Removal;
}

/** The first `PREVIEW_CHARS` code points of `content`, as the server cuts a reply's preview. */
export function previewOf(content: string): string {
  const chars = [...content];
  return chars.length <= PREVIEW_CHARS ? content : chars.slice(0, PREVIEW_CHARS).join('');
}

/** The quote of a message we are about to answer. */
export function replyRefOf(message: { id: number; senderId: number; content: string }): ReplyRef {
  return { id: message.id, senderId: message.senderId, preview: previewOf(message.content), isDeleted: false };
}

/** `quote` after what is known of the quoted message: deleted ids, newest texts and moderation by id. */
export function quoteWithKnown(
  quote: ReplyRef,
  deleted: ReadonlySet<number>,
  edits: ReadonlyMap<number, { content: string }>,
  moderated: ReadonlyMap<number, Moderated> = new Map(),
): ReplyRef {
  if (quote.isDeleted || quote.unavailable) return quote;
  if (deleted.has(quote.id)) {
    const { removed: _gone, ...rest } = quote;
    return { ...rest, isDeleted: true, preview: null };
  }
  const current = quoteModerated(quote, moderated.get(quote.id)) ?? quote;
  // A hidden or purged message's text is final (and not ours to show).
  if (current.removed) return current;
  const edit = edits.get(quote.id);
  const preview = edit && previewOf(edit.content);
  return preview !== undefined && preview !== current.preview ? { ...current, preview } : current;
}
