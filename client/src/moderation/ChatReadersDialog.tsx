import { useCallback, useEffect, useState } from 'react';

import type { Schemas } from '../api';
import { Modal } from '../components/Modal';
import { viaKey } from '../components/ReadersDialog';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { fullDateTime } from '../time';
import { chatAccessRecords } from './moderationApi';

type AccessRecord = Schemas['AccessRecords']['records'][number];

interface Props {
  chatId: number;
  /** The chat's name, as its header shows it. */
  title: string;
  onClose: () => void;
}

/**
 * An admin's "Who read this chat", from the chat being read: every read of it by someone who
 * takes no part in it (an admin opening, exporting or searching it, a guardian reading their
 * child's chat), newest first, a page at a time (`GET /api/admin/access-records?chat_id=`).
 * What the chat's participants see of it under "Who read my chats", each read on its own line.
 */
export default function ChatReadersDialog({ chatId, title, onClose }: Props) {
  const { t, locale } = useLocale();
  const [records, setRecords] = useState<AccessRecord[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (before: string | null) => {
      setLoading(true);
      setError(null);
      try {
        const page = await chatAccessRecords(chatId, before);
        setRecords((shown) => [...(before === null ? [] : (shown ?? [])), ...page.records]);
        setNext(page.next_cursor);
      } catch (e) {
        setError(errorText(e, t));
      } finally {
        setLoading(false);
      }
    },
    [chatId, t],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <Modal labelledBy="chat-readers-title" busy={false} onClose={onClose} testId="chat-readers-dialog">
      <h2 id="chat-readers-title">{t('chatReaders.title', { title })}</h2>
      <p className="muted small">{t('chatReaders.intro')}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {records === null && loading && <p className="muted">{t('readers.loading')}</p>}
      {records?.length === 0 && <p data-testid="chat-readers-empty">{t('chatReaders.empty')}</p>}
      {records && records.length > 0 && (
        <ul className="readers-list" data-testid="chat-readers-list">
          {records.map((r) => (
            <li key={r.id} data-testid="chat-reader" data-via={r.via}>
              <strong>{r.reader.name}</strong> <span className="muted small">({t(`roles.${r.reader.role}`)})</span>{' '}
              {t(`readers.via.${viaKey(r.via)}`)}{' '}
              <span className="muted small">{fullDateTime(r.read_at, locale)}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="dialog-actions">
        {next !== null && (
          <button type="button" className="button button-quiet" disabled={loading} onClick={() => void load(next)}>
            {t('chatReaders.more')}
          </button>
        )}
        <button type="button" className="button" onClick={onClose}>
          {t('readers.close')}
        </button>
      </div>
    </Modal>
  );
}
