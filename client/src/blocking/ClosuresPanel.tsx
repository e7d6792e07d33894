import { useCallback, useEffect, useState } from 'react';

import { ConfirmDialog } from '../components/ConfirmDialog';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { fullDateTime } from '../time';
import { type ClosureRequest, allClosureRequests, closeOnRequest, declineRequest } from './blockingApi';

type Loaded = { status: 'loading' } | { status: 'failed'; error: string } | { status: 'ready'; requests: ClosureRequest[] };
type Deciding = { request: ClosureRequest; close: boolean };

/**
 * An admin's Closure requests tab (in Moderation): guardians' requests to close their child's
 * chat with a teacher, the undecided first, each with Close the chat or Decline (confirmed).
 * Loaded when shown, again after each decision made here, and on the stream's news of one.
 */
export function ClosuresPanel({ news }: { news: number }) {
  const { t, locale } = useLocale();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [deciding, setDeciding] = useState<Deciding | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setLoaded({ status: 'ready', requests: await allClosureRequests() });
    } catch (e) {
      setLoaded({ status: 'failed', error: errorText(e, t) });
    }
  }, [t]);

  // Again on the stream's news of a request (a new one, or decided on another admin's page).
  useEffect(() => {
    void load();
  }, [load, news]);

  const decide = async ({ request, close }: Deciding) => {
    setBusy(true);
    setError(null);
    try {
      await (close ? closeOnRequest(request.id) : declineRequest(request.id));
      setDeciding(null);
      await load();
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  if (loaded.status === 'loading') return <p className="muted">{t('blocking.loading')}</p>;
  if (loaded.status === 'failed') return <p className="error">{loaded.error}</p>;
  if (loaded.requests.length === 0) return <p className="muted">{t('blocking.none')}</p>;
  return (
    <>
      <ul className="report-list" data-testid="closure-request-list">
        {loaded.requests.map((r) => (
          <li key={r.id} className="report" data-testid="admin-closure-request" data-outcome={r.outcome ?? 'open'}>
            <p>
              <strong>
                {t('blocking.byGuardian', { guardian: r.requested_by.name, student: r.student.name, teacher: r.teacher.name })}
              </strong>
            </p>
            <p className="small muted">{fullDateTime(r.requested_at, locale)}</p>
            <p className="report-reason">{r.reason}</p>
            {r.outcome === null ? (
              <div className="report-actions">
                <button
                  type="button"
                  className="button button-danger"
                  data-testid="closure-close"
                  onClick={() => setDeciding({ request: r, close: true })}
                >
                  {t('blocking.close')}
                </button>
                <button
                  type="button"
                  className="button button-quiet"
                  data-testid="closure-decline"
                  onClick={() => setDeciding({ request: r, close: false })}
                >
                  {t('blocking.decline')}
                </button>
              </div>
            ) : (
              <p className="small muted">{t(r.outcome === 'closed' ? 'blocking.decidedClosed' : 'blocking.decidedDeclined')}</p>
            )}
          </li>
        ))}
      </ul>
      {deciding && (
        <ConfirmDialog
          title={t(deciding.close ? 'blocking.closeTitle' : 'blocking.declineTitle')}
          confirmLabel={t(deciding.close ? 'blocking.close' : 'blocking.decline')}
          busy={busy}
          error={error}
          onConfirm={() => void decide(deciding)}
          onCancel={() => setDeciding(null)}
        >
          {t(deciding.close ? 'blocking.closeHint' : 'blocking.declineHint')}
        </ConfirmDialog>
      )}
    </>
  );
}
