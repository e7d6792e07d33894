import { useCallback, useEffect, useState } from 'react';

import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { ReasonDialog } from '../moderation/ReasonDialog';
import { fullDateTime } from '../time';
import { type ClosureRequest, myClosureRequests, requestClosure } from './blockingApi';

interface Props {
  chatId: number;
  /** When the chat closed (null: open): the requests are read again when it changes. */
  closedAt: string | null;
  /** The stream's news of closure requests (a count): read again on each. */
  news: number;
}

/**
 * A guardian's view of their child's chat: "Ask the school to close this chat" (with a reason,
 * while it is open) and the requests they sent about it, each with its outcome.
 */
export function GuardianClosure({ chatId, closedAt, news }: Props) {
  const { t, locale } = useLocale();
  const [requests, setRequests] = useState<ClosureRequest[]>([]);
  const [asking, setAsking] = useState(false);

  const load = useCallback(async () => {
    try {
      const mine = await myClosureRequests();
      setRequests(mine.filter((r) => r.chat_id === chatId));
    } catch {
      // The list is a courtesy: the chat reads on without it.
    }
  }, [chatId]);

  useEffect(() => {
    void load();
  }, [load, closedAt, news]);

  const outcome = (r: ClosureRequest) => {
    const date = fullDateTime(r.requested_at, locale);
    if (r.outcome === 'closed') return t('blocking.requestClosed', { date });
    if (r.outcome === 'declined') return t('blocking.requestDeclined', { date });
    return t('blocking.requestOpen', { date });
  };

  return (
    <div className="closure-requests small" data-testid="closure-requests">
      {requests.length > 0 && (
        <ul aria-label={t('blocking.requestsHeading')}>
          {requests.map((r) => (
            <li key={r.id} data-testid="closure-request" data-outcome={r.outcome ?? 'open'}>
              {outcome(r)}
              {r.note && <span className="muted"> · {t('blocking.note', { note: r.note })}</span>}
            </li>
          ))}
        </ul>
      )}
      {closedAt === null && !requests.some((r) => r.outcome === null) && (
        <button type="button" className="button button-quiet" data-testid="ask-closure" onClick={() => setAsking(true)}>
          {t('blocking.ask')}
        </button>
      )}
      {asking && (
        <ReasonDialog
          title={t('blocking.askTitle')}
          hint={t('blocking.askHint')}
          placeholder={t('blocking.askPlaceholder')}
          submit={{ label: t('blocking.askSend'), busyLabel: t('blocking.asking'), testId: 'send-closure-request' }}
          testId="closure-dialog"
          fieldTestId="closure-reason"
          onSubmit={async (reason) => {
            try {
              await requestClosure(chatId, reason);
            } catch (e) {
              throw new Error(errorText(e, t));
            }
            setAsking(false);
            await load();
          }}
          onClose={() => setAsking(false)}
        />
      )}
    </div>
  );
}
