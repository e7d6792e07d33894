// Replies: the quote a reply shows of the message it answers. The server sends a preview of
// the quoted text as it was when the history was read; the client keeps it current as the
// quoted message is edited, deleted, hidden, unhidden or purged (messages.ts applies
// `quoteWithKnown`).

import type { Moderated, ReplyRef } from './model';

/** A reply's quote shows at most this many characters (code points) of the quoted text. */
export const PREVIEW_CHARS = 100;

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

/**
 * A quote of a message as `entry` says it is now: hidden or purged shows the placeholder
 * (`removed`, no preview); unhidden, its text again. Null: `entry` says nothing new of it.
 */
export function quoteModerated(quote: ReplyRef, entry: Moderated | undefined): ReplyRef | null {
  if (!entry || quote.isDeleted || quote.unavailable || quote.removed?.kind === 'purged') return null;
  switch (entry.kind) {
    case 'purged':
      return { ...quote, preview: null, removed: { kind: 'purged', cause: entry.purged.cause } };
    case 'hidden':
      return quote.removed?.kind === 'hidden' ? null : { ...quote, preview: null, removed: { kind: 'hidden' } };
    case 'unhidden': {
      if (!quote.removed) return null;
      const { removed: _gone, ...rest } = quote;
      return { ...rest, preview: previewOf(entry.shown.content) };
    }
  }
}
