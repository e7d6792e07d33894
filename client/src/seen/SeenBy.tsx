// "Seen by N of M" under a group's messages: its author sees it of their own messages, admins
// of every message. The chat's markers are read when it opens and again when its members
// change (a system line); the stream's `messages_read` moves them live in between. Pressed, it
// names who has read the message and who has not.

import { type ReactNode, useEffect, useState } from 'react';

import type { Conversation, Message } from '../conversation/model';
import { useLocale } from '../i18n';
import { Modal } from '../components/Modal';
import { type Marker, type Seen, readMarkers, seenOf } from './seen';

export interface SeenBy {
  /** The button under `message`, or undefined where it shows none. */
  of: (message: Message) => ReactNode;
  /** The names of who has and has not read it, while open. */
  dialog: ReactNode;
}

/** "Seen by" of chat `chatId` while `shown`: of `me`'s messages, or of everyone's (`everyone`, admins). */
export function useSeenBy(chatId: number, conversation: Conversation | undefined, shown: boolean, me: number, everyone: boolean): SeenBy {
  const { t } = useLocale();
  const [markers, setMarkers] = useState<{ chatId: number; markers: Marker[] } | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const members = conversation?.notices.length ?? 0;

  useEffect(() => {
    if (!shown) return;
    let current = true;
    readMarkers(chatId).then(
      (read) => current && setMarkers({ chatId, markers: read }),
      () => {
        // A courtesy: the conversation reads on without it (the next change of members reads again).
      },
    );
    return () => {
      current = false;
    };
  }, [chatId, shown, members]);

  const read = shown && markers?.chatId === chatId ? markers.markers : null;
  const live = conversation?.readMarks ?? {};
  const seen = (message: Message): Seen | null =>
    read && (everyone || message.senderId === me) ? seenOf(read, live, message.id, message.senderId) : null;
  const of = (message: Message) => {
    const counts = seen(message);
    if (!counts) return undefined;
    const total = counts.seen.length + counts.notSeen.length;
    return (
      <button
        type="button"
        className="seen-by"
        data-testid={`seen-${message.id}`}
        data-seen={counts.seen.length}
        data-of={total}
        onClick={() => setOpen(message.id)}
      >
        {t('seen.count', { count: counts.seen.length, total })}
      </button>
    );
  };
  const message = open === null ? undefined : conversation?.messages.find((m) => m.id === open);
  const counts = message ? seen(message) : null;
  const dialog = counts && (
    <Modal labelledBy="seen-title" busy={false} onClose={() => setOpen(null)} testId="seen-dialog">
      <h2 id="seen-title">{t('seen.title')}</h2>
      <SeenList title={t('seen.seen', { count: counts.seen.length })} people={counts.seen} testId="seen-list" />
      <SeenList title={t('seen.notSeen', { count: counts.notSeen.length })} people={counts.notSeen} testId="not-seen-list" />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={() => setOpen(null)}>
          {t('seen.close')}
        </button>
      </div>
    </Modal>
  );
  return { of, dialog };
}

function SeenList({ title, people, testId }: { title: string; people: Marker[]; testId: string }) {
  return (
    <section>
      <h3 className="small">{title}</h3>
      <ul className="seen-list" data-testid={testId}>
        {people.map((p) => (
          <li key={p.user_id}>{p.name}</li>
        ))}
      </ul>
    </section>
  );
}
