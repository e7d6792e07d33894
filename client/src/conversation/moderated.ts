// What the stream said last of a message's moderation, as pure functions that apply it to the
// message (to the quotes of it: quotes.ts's `quoteModerated`). A conversation remembers it by
// message id (like its edits and deletions: messages.ts), so a message that arrives after the
// event — an older page, a snapshot read before it — is shown as it is now, whatever the order:
//
// - hidden: participants no longer have its content or files (the server sends them none);
//   admins keep both, marked hidden (`keepContent`);
// - unhidden: it is shown again, with its content as the event carries it;
// - purged: its content is gone for good, for everyone; nothing changes it after that.
//
// A hidden or purged message's own content already includes every edit made before (it can
// no longer be edited), so edits are not applied to it.

import type { Message, Moderated } from './model';

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
