import { useState } from 'react';

import type { ReportView } from '../api';
import { useLocale } from '../i18n';
import type { ReportList } from './moderation';
import type { Moderation } from './useModeration';
import { FlagsSection } from './FlagsSection';
import { ReasonDialog } from './ReasonDialog';
import { ReportRow } from './ReportRow';
import { SuspendDialog } from './SuspendDialog';

interface Props {
  moderation: Moderation;
  onOpenChat: (chatId: number) => void;
}

/**
 * The Reports tab: first the open flags (FlagsSection: what the system flagged, and the
 * school's list of terms), then people's open reports (or every report and flag), newest
 * first, a page at a time; each a ReportRow, with what may be done: hide it (its reports are
 * resolved, so it leaves the open lists), clear it, unhide it, open its chat, suspend its
 * sender.
 */
export function ReportsPanel({ moderation, onOpenChat }: Props) {
  const { t } = useLocale();
  const [filter, setFilter] = useState<'open' | 'all'>('open');
  const [hiding, setHiding] = useState<ReportView | null>(null);
  const [suspending, setSuspending] = useState<ReportView | null>(null);
  const [note, setNote] = useState<{ kind: 'status' | 'alert'; text: string } | null>(null);
  const list: ReportList | null = filter === 'open' ? moderation.state.open : moderation.state.all;

  const choose = (next: 'open' | 'all') => {
    setFilter(next);
    if (next === 'all' && moderation.state.all === null) moderation.loadReports('all');
  };

  const run = (action: Promise<void>) => {
    setNote(null);
    action.catch((e: unknown) => setNote({ kind: 'alert', text: e instanceof Error ? e.message : String(e) }));
  };

  const row = (report: ReportView) => (
    <ReportRow
      key={report.id}
      report={report}
      onHide={() => setHiding(report)}
      onClear={() => run(moderation.clear(report.id))}
      onUnhide={() => run(moderation.unhide(report.chat.id, report.message.id))}
      onOpenChat={() => onOpenChat(report.chat.id)}
      onSuspend={() => setSuspending(report)}
    />
  );

  return (
    <div className="reports-panel">
      {note && (
        <p className={note.kind === 'alert' ? 'error small' : 'muted small'} role={note.kind}>
          {note.text}
        </p>
      )}
      <FlagsSection moderation={moderation} row={row} />
      <h3 className="reports-heading">{t('flags.reportsHeading')}</h3>
      <div className="filter-toggle" role="group" aria-label={t('moderation.filterLabel')}>
        {(['open', 'all'] as const).map((value) => (
          <button
            key={value}
            type="button"
            className="button button-quiet"
            data-testid={`reports-filter-${value}`}
            aria-pressed={filter === value}
            onClick={() => choose(value)}
          >
            {t(value === 'open' ? 'moderation.filterOpen' : 'moderation.filterAll')}
          </button>
        ))}
      </div>
      {(list === null || list.status === 'loading') && <p className="muted small">{t('moderation.loadingReports')}</p>}
      {list?.status === 'failed' && (
        <div role="alert">
          <p className="error">{list.error}</p>
          <button type="button" className="button button-quiet" onClick={() => moderation.loadReports(filter)}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {list?.status === 'ready' && list.items.length === 0 && list.nextCursor === null && (
        <p className="muted small" data-testid="no-reports">
          {t(filter === 'open' ? 'moderation.noOpenReports' : 'moderation.noReports')}
        </p>
      )}
      {list?.status === 'ready' && list.items.length > 0 && (
        <ul className="report-list" aria-label={t('moderation.reportsTab')} data-testid="report-list">
          {list.items.map(row)}
        </ul>
      )}
      {list?.status === 'ready' && list.nextCursor !== null && (
        <div className="list-more">
          {list.more.status === 'failed' && <p className="error small">{list.more.error}</p>}
          <button
            type="button"
            className="button button-quiet"
            data-testid="reports-more"
            disabled={list.more.status === 'loading'}
            onClick={() => moderation.loadMoreReports(filter)}
          >
            {t(list.more.status === 'loading' ? 'moderation.loadingMore' : 'moderation.loadMore')}
          </button>
        </div>
      )}
      {hiding && (
        <ReasonDialog
          title={t('moderation.hideTitle')}
          hint={t('moderation.hideHint')}
          placeholder={t('moderation.hidePlaceholder')}
          submit={{ label: t('moderation.hide'), busyLabel: t('moderation.hiding'), testId: 'confirm-hide', danger: true }}
          testId="hide-dialog"
          fieldTestId="hide-reason"
          onSubmit={async (reason) => {
            await moderation.hide(hiding.chat.id, hiding.message.id, reason);
            setHiding(null);
          }}
          onClose={() => setHiding(null)}
        />
      )}
      {suspending && (
        <SuspendDialog
          name={suspending.message.sender.name}
          onSuspend={async (reason, until) => {
            await moderation.suspend(suspending.message.sender.id, reason, until);
            setNote({ kind: 'status', text: t('moderation.suspendedNote', { name: suspending.message.sender.name }) });
            setSuspending(null);
          }}
          onClose={() => setSuspending(null)}
        />
      )}
    </div>
  );
}
