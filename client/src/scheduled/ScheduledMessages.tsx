import { useState } from 'react';

import type { ScheduledMessage } from '../api';
import { useLocale } from '../i18n';
import { useNow } from '../useNow';
import { localInputValue, scheduledTime, sendAtOf } from './scheduled';

interface Props {
  /** Our scheduled messages of this chat, soonest first. */
  messages: readonly ScheduledMessage[];
  /** Changes one's text and/or time; rejects with the reason in words. */
  onChange: (message: ScheduledMessage, change: { content?: string; send_at?: string }) => Promise<void>;
  /** Cancels one; rejects with the reason in words. */
  onCancel: (message: ScheduledMessage) => Promise<void>;
}

/**
 * Below a conversation's messages: what we scheduled there, which nobody else sees until it is
 * sent, each "scheduled for 18:00" (in our time zone) with Edit and Cancel, or, when its time
 * came and we could no longer write it there, why it was not sent. Each goes when it is sent.
 */
export function ScheduledMessages({ messages, onChange, onCancel }: Props) {
  const { t } = useLocale();
  if (messages.length === 0) return null;
  return (
    <ul className="scheduled-messages" aria-label={t('scheduled.listLabel')} data-testid="scheduled-messages">
      {messages.map((message) => (
        <Item key={message.id} message={message} onChange={onChange} onCancel={onCancel} />
      ))}
    </ul>
  );
}

interface ItemProps extends Omit<Props, 'messages'> {
  message: ScheduledMessage;
}

function Item({ message, onChange, onCancel }: ItemProps) {
  const { t, locale } = useLocale();
  const now = useNow();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(message.content);
  const [at, setAt] = useState(() => localInputValue(new Date(message.send_at)));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const failure = message.failure ?? null;

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      setEditing(false);
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      setBusy(false);
    }
  };

  const save = () => {
    const sendAt = sendAtOf(at);
    const change: { content?: string; send_at?: string } = {};
    if (text !== message.content) change.content = text;
    if (sendAt !== null && sendAt !== new Date(message.send_at).toISOString()) change.send_at = sendAt;
    if (Object.keys(change).length === 0) return setEditing(false);
    void run(() => onChange(message, change));
  };

  return (
    <li className={`scheduled-message${failure ? ' failed' : ''}`} data-testid={`scheduled-${message.id}`}>
      {editing ? (
        <div className="scheduled-edit" role="group" aria-label={t('scheduled.edit')}>
          <label htmlFor={`scheduled-text-${message.id}`} className="visually-hidden">
            {t('scheduled.textLabel')}
          </label>
          <textarea
            id={`scheduled-text-${message.id}`}
            data-testid={`scheduled-text-${message.id}`}
            value={text}
            rows={2}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
          />
          <label htmlFor={`scheduled-at-${message.id}`}>{t('scheduled.when')}</label>
          <input
            id={`scheduled-at-${message.id}`}
            type="datetime-local"
            data-testid={`scheduled-at-${message.id}`}
            value={at}
            onChange={(e) => setAt(e.target.value)}
          />
          <button type="button" className="button" data-testid={`scheduled-save-${message.id}`} disabled={busy} onClick={save}>
            {t('scheduled.save')}
          </button>
          <button type="button" className="button button-quiet" disabled={busy} onClick={() => setEditing(false)}>
            {t('scheduled.discard')}
          </button>
        </div>
      ) : (
        <>
          <p className="scheduled-text">{message.content}</p>
          <p className="scheduled-note small" data-testid={`scheduled-note-${message.id}`}>
            <span aria-hidden="true">{failure ? '⚠' : '🕒'}</span>{' '}
            {failure ? (
              t('scheduled.failed', { reason: t(`errors.code.${failure.code}`) })
            ) : (
              <time dateTime={message.send_at}>
                {t('scheduled.at', { time: scheduledTime(message.send_at, locale, now) })}
              </time>
            )}
          </p>
          <div className="scheduled-actions">
            <button
              type="button"
              className="button button-quiet"
              data-testid={`scheduled-edit-${message.id}`}
              disabled={busy}
              onClick={() => {
                setText(message.content);
                setAt(localInputValue(new Date(message.send_at)));
                setEditing(true);
              }}
            >
              {t('scheduled.edit')}
            </button>
            <button
              type="button"
              className="button button-quiet"
              data-testid={`scheduled-cancel-${message.id}`}
              disabled={busy}
              onClick={() => void run(() => onCancel(message))}
            >
              {t(failure ? 'scheduled.dismiss' : 'scheduled.cancel')}
            </button>
          </div>
        </>
      )}
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
