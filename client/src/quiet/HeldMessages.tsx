import type { HeldMessage } from '../api';
import { useLocale } from '../i18n';
import { useNow } from '../useNow';
import { deliveryTime } from './held';

interface Props {
  /** Our held messages of this chat, soonest first. */
  messages: readonly HeldMessage[];
}

/**
 * Below a conversation's messages: what we wrote inside quiet hours, which nobody else sees
 * yet, each with when it will be delivered (in our time zone). Each goes when it is delivered.
 */
export function HeldMessages({ messages }: Props) {
  const { t, locale } = useLocale();
  const now = useNow();
  if (messages.length === 0) return null;
  return (
    <ul className="held-messages" aria-label={t('held.listLabel')} data-testid="held-messages">
      {messages.map((message) => {
        const at = deliveryTime(message.deliver_at, locale, now.getTime());
        return (
          <li key={message.id} className="held-message" data-testid={`held-${message.id}`}>
            <p className="held-text">
              {message.content || <em>{t('held.attachmentsOnly', { count: message.attachment_ids.length })}</em>}
            </p>
            <p className="held-note small" data-testid={`held-note-${message.id}`}>
              <span aria-hidden="true">🌙</span>{' '}
              <time dateTime={message.deliver_at}>{t('held.deliverAt', { time: at })}</time>
            </p>
          </li>
        );
      })}
    </ul>
  );
}
