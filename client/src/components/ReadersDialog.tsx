import { useEffect, useState } from 'react';

import { myReaders } from '../api';
import type { Schemas } from '../api/types';
import { useLocale } from '../i18n';
import { fullDateTime } from '../time';
import { Modal } from './Modal';

/** How a chat was read, as the server names it; one it names otherwise (a newer server) is said plainly. */
const VIAS = ['history', 'export', 'search', 'stream', 'attachment', 'chat_list'] as const;
export const viaKey = (via: string): (typeof VIAS)[number] | 'other' =>
  (VIAS as readonly string[]).includes(via) ? (via as (typeof VIAS)[number]) : 'other';

interface Props {
  /** What a chat of ours is called, when the list has it. */
  chatName: (chatId: number) => string;
  onClose: () => void;
}

/**
 * "Who read my chats": the adults who take no part in our chats and read them (an admin
 * opening one, exporting it, finding it in a search, downloading a file of it; a guardian, also following it live or
 * seeing its last message in their chat list), from `GET /api/me/readers`: who, which
 * chat, how, how often, when last.
 */
export function ReadersDialog({ chatName, onClose }: Props) {
  const { t, locale } = useLocale();
  const [readers, setReaders] = useState<Schemas['Reader'][] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    myReaders()
      .then(setReaders)
      .catch((e: unknown) => setFailed(e instanceof Error ? e.message : String(e)));
  }, []);

  return (
    <Modal labelledBy="readers-title" busy={false} onClose={onClose} testId="readers-dialog">
      <h2 id="readers-title">{t('readers.title')}</h2>
      <p className="muted small">{t('readers.intro')}</p>
      {failed && <p role="alert">{failed}</p>}
      {!failed && readers === null && <p className="muted">{t('readers.loading')}</p>}
      {readers?.length === 0 && <p data-testid="readers-empty">{t('readers.empty')}</p>}
      {readers && readers.length > 0 && (
        <ul className="readers-list" data-testid="readers-list">
          {readers.map((r) => (
            <li key={`${r.reader.id}-${r.chat_id}-${r.via}`}>
              <strong>{r.reader.name}</strong> <span className="muted small">({t(`roles.${r.reader.role}`)})</span>{' '}
              {t(`readers.via.${viaKey(r.via)}`)}: {chatName(r.chat_id)}.{' '}
              <span className="muted small">
                {t('readers.reads', { count: r.reads })}, {t('readers.last', { when: fullDateTime(r.last_read_at, locale) })}
              </span>
            </li>
          ))}
        </ul>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          {t('readers.close')}
        </button>
      </div>
    </Modal>
  );
}
