// Replies: the quote a reply shows of the message it answers. The server sends a preview of
// the quoted text as it was when the history was read; the client keeps it current as the
// quoted message is edited or deleted (messages.ts applies `quoteWithKnown`).

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

/** `quote` after what is known of the quoted message: deleted ids, newest texts by id. */
export function quoteWithKnown(
  quote: ReplyRef,
  deleted: ReadonlySet<number>,
  edits: ReadonlyMap<number, { content: string }>,
): ReplyRef {
  if (quote.isDeleted || quote.unavailable) return quote;
  if (deleted.has(quote.id)) return { ...quote, isDeleted: true, preview: null };
  const edit = edits.get(quote.id);
  const preview = edit && previewOf(edit.content);
  return preview !== undefined && preview !== quote.preview ? { ...quote, preview } : quote;
}
