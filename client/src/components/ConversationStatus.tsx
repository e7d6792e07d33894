// What a conversation shows in place of its messages while they are not there: loading, the
// reason they could not be read (with Try again), or that we left before they were; and the
// note over an empty conversation opened without a network.

import type { Membership } from '../chats/model';
import type { Conversation } from '../conversation/model';
import { useLocale } from '../i18n';

interface Props {
  conversation: Conversation | undefined;
  /** We left the group or were removed from it. */
  ended: Exclude<Membership, 'member'> | null;
  /** Reads it again; null where trying again cannot help (a guest's visit has ended). */
  onRetry: (() => void) | null;
}

export function ConversationStatus({ conversation, ended, onRetry }: Props) {
  const { t } = useLocale();
  if (conversation === undefined || conversation.status === 'loading') {
    return (
      <div className="conversation-status muted" aria-busy="true">
        {t('conversation.loading')}
      </div>
    );
  }
  if (ended) {
    // Dropped from the group before its history was loaded: the server shows it no more.
    return <div className="conversation-status muted">{t(ended === 'left' ? 'chatList.left' : 'chatList.removed')}</div>;
  }
  return (
    <div className="conversation-status" role="alert">
      <p className="error">{conversation.error}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          {t('app.tryAgain')}
        </button>
      )}
    </div>
  );
}

/** Opened without a network and nothing of it kept: its history comes with the connection. */
export function HistoryUnavailable() {
  const { t } = useLocale();
  return (
    <p className="conversation-status muted" role="status" data-testid="history-unavailable">
      {t('conversation.unavailable')}
    </p>
  );
}
