// What the stream said last of a message's moderation, as pure functions that apply it to the
// message and to the quotes of it. A conversation remembers it by message id (like its edits
// and deletions: messages.ts), so a message that arrives after the event — an older page, a
// snapshot read before it — is shown as it is now, whatever the order:
//
// - hidden: participants no longer have its content or files (the server sends them none);
//   admins keep both, marked hidden (`keepContent`);
// - unhidden: it is shown again, with its content as the event carries it;
// - purged: its content is gone for good, for everyone; nothing changes it after that.
//
// A hidden or purged message's own content already includes every edit made before (it can
// no longer be edited), so edits are not applied to it.

import type { Hidden, Purged } from './api';
import type { Message } from './messages';
import { type ReplyRef, previewOf } from './quotes';

/** A message's content as shown, which unhiding it brings back. */
export type Shown = Pick<Message, 'content' | 'attachments' | 'type' | 'isEdited' | 'editedAt'>;

export type Moderated =
  | { kind: 'hidden'; hidden: Hidden; keepContent: boolean }
  | { kind: 'unhidden'; shown: Shown }
  | { kind: 'purged'; purged: Purged };

const emptied = { content: '', attachments: [], type: 'text' } as const;

/** `message` as `entry` (if any) says it is now; the same object when nothing changes. */
export function withModerated(message: Message, entry: Moderated | undefined): Message {
  if (!entry || message.purged) return message; // purged is for good
  switch (entry.kind) {
    case 'purged':
      return { ...message, ...emptied, hidden: null, purged: entry.purged };
    case 'hidden': {
      const emptyAlready = message.content === '' && message.attachments.length === 0;
      if (message.hidden?.hidden_at === entry.hidden.hidden_at && (entry.keepContent || emptyAlready)) return message;
      return { ...message, ...(entry.keepContent ? {} : emptied), hidden: entry.hidden };
    }
    case 'unhidden':
      // Not hidden as loaded: it was read after the unhide, and is as new.
      return message.hidden ? { ...message, ...entry.shown, hidden: null } : message;
  }
}

/** Whether a message's edits are applied to it: not once hidden or purged (its content is final). */
export function takesEdits(message: Pick<Message, 'hidden' | 'purged'>): boolean {
  return message.hidden === null && message.purged === null;
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
