import { useCallback, useEffect, useState } from 'react';

import { useLocale } from '../i18n';
import { fullDateTime } from '../time';
import type { HeldControl } from './useHeldMessages';

interface Props {
  held: HeldControl;
  /** A chat's name, and a person's, as this session knows them. */
  chatName: (chatId: number) => string;
  personName: (userId: number) => string;
}

/**
 * The Moderation dialog's Held tab (admins): every message quiet hours hold now, soonest
 * first, each with who wrote it where, when it will be delivered, and "Deliver now".
 */
export function HeldPanel({ held, chatName, personName }: Props) {
  const { t, locale } = useLocale();
  const [status, setStatus] = useState<'loading' | 'ready' | 'failed'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const { loadAll } = held;

  const load = useCallback(() => {
    setStatus('loading');
    loadAll().then(
      () => setStatus('ready'),
      (e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        setStatus('failed');
      },
    );
  }, [loadAll]);
  useEffect(load, [load]);

  const deliver = (id: number) => {
    setBusy(id);
    setError(null);
    held
      .deliverNow(id)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(null));
  };

  const { items } = held.state;
  return (
    <div className="held-panel">
      <p className="muted small">{t('held.panelHint')}</p>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      {status === 'loading' && <p className="muted small">{t('held.loading')}</p>}
      {status === 'failed' && (
        <button type="button" className="button button-quiet" onClick={load}>
          {t('app.tryAgain')}
        </button>
      )}
      {status === 'ready' && items.length === 0 && <p className="muted small">{t('held.none')}</p>}
      {status === 'ready' && items.length > 0 && (
        <ul className="report-list" aria-label={t('held.tab')} data-testid="held-list">
          {items.map((message) => (
            <li key={message.id} className="report-row" data-testid={`held-row-${message.id}`}>
              <p className="report-head small muted">
                {t('moderation.wrote', { name: personName(message.sender_id), chat: chatName(message.chat_id) })}
              </p>
              <blockquote className="report-message">
                {message.content || <em>{t('moderation.noText')}</em>}
              </blockquote>
              <p className="small">
                {t('held.deliverAt', { time: fullDateTime(message.deliver_at, locale) })}
              </p>
              <div className="report-actions">
                <button
                  type="button"
                  className="button"
                  data-testid={`held-deliver-${message.id}`}
                  disabled={busy === message.id}
                  onClick={() => deliver(message.id)}
                >
                  {t(busy === message.id ? 'held.delivering' : 'held.deliverNow')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
