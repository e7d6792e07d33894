import type { ReactNode } from 'react';

import type { ReportView } from '../api';
import { useLocale } from '../i18n';
import { FlagTermsEditor } from './FlagTermsEditor';
import type { Moderation } from './useModeration';

interface Props {
  moderation: Moderation;
  /** A flag's row (ReportsPanel's, with its actions). */
  row: (report: ReportView) => ReactNode;
}

/**
 * The top of the Reports tab: the open flags, newest first, what a moderator looks at first
 * (the system's: a message matched a term of the school's list, or a burst), and the list of
 * terms, folded away.
 */
export function FlagsSection({ moderation, row }: Props) {
  const { t } = useLocale();
  const list = moderation.state.flags;
  return (
    <section className="flags-section" aria-labelledby="flags-heading" data-testid="flags-section">
      <h3 id="flags-heading" className="reports-heading">
        {t('flags.heading')}
      </h3>
      {list.status === 'loading' && <p className="muted small">{t('flags.loading')}</p>}
      {list.status === 'failed' && (
        <div role="alert">
          <p className="error">{list.error}</p>
          <button type="button" className="button button-quiet" onClick={() => moderation.loadReports('flags')}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {list.status === 'ready' && list.items.length === 0 && list.nextCursor === null && (
        <p className="muted small" data-testid="no-flags">
          {t('flags.none')}
        </p>
      )}
      {list.status === 'ready' && list.items.length > 0 && (
        <ul className="report-list flag-list" aria-label={t('flags.heading')} data-testid="flag-list">
          {list.items.map(row)}
        </ul>
      )}
      {list.status === 'ready' && list.nextCursor !== null && (
        <div className="list-more">
          {list.more.status === 'failed' && <p className="error small">{list.more.error}</p>}
          <button
            type="button"
            className="button button-quiet"
            disabled={list.more.status === 'loading'}
            onClick={() => moderation.loadMoreReports('flags')}
          >
            {t(list.more.status === 'loading' ? 'moderation.loadingMore' : 'moderation.loadMore')}
          </button>
        </div>
      )}
      <FlagTermsEditor />
    </section>
  );
}
