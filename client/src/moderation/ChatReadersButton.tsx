import { Suspense, lazy, useState } from 'react';

import { useLocale } from '../i18n';

// An admin's dialog: its code is fetched when it first opens, never on a student's first screen.
const ChatReadersDialog = lazy(() => import('./ChatReadersDialog'));

/** In the header of a chat an admin reads: "Who read this chat" (ChatReadersDialog). */
export function ChatReadersButton({ chatId, title }: { chatId: number; title: string }) {
  const { t } = useLocale();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className="button button-quiet header-action"
        data-testid="chat-readers-button"
        onClick={() => setOpen(true)}
      >
        {t('chatReaders.button')}
      </button>
      <Suspense fallback={null}>
        {open && <ChatReadersDialog chatId={chatId} title={title} onClose={() => setOpen(false)} />}
      </Suspense>
    </>
  );
}
