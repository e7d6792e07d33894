import { useState } from 'react';

import type { ReportView } from '../api';
import { useLocale } from '../i18n';
import type { ReportList } from './moderation';
import type { ReportFilter } from './moderationApi';
import { removalOf, removalText } from './removal';
import { fullDateTime } from '../time';
import type { Moderation } from './useModeration';
import { ReasonDialog } from './ReasonDialog';
import { SuspendDialog } from './SuspendDialog';

interface Props {
  moderation: Moderation;
  onOpenChat: (chatId: number) => void;
}

/**
 * The Reports tab: the open reports (or all of them), newest first, a page at a time; each
 * with the message, who wrote it where, who reported it and why, and what may be done: hide it
 * (its reports are resolved, so it leaves the open list), unhide it, open its chat, suspend
 * its sender.
 */
export function ReportsPanel({ moderation, onOpenChat }: Props) {
  const { t } = useLocale();
  const [filter, setFilter] = useState<ReportFilter>('open');
  const [hiding, setHiding] = useState<ReportView | null>(null);
  const [suspending, setSuspending] = useState<ReportView | null>(null);
  const [note, setNote] = useState<{ kind: 'status' | 'alert'; text: string } | null>(null);
  const list: ReportList | null = filter === 'open' ? moderation.state.open : moderation.state.all;

  const choose = (next: ReportFilter) => {
    setFilter(next);
    if (next === 'all' && moderation.state.all === null) moderation.loadReports('all');
  };

  const unhide = (report: ReportView) => {
    setNote(null);
    moderation.unhide(report.chat.id, report.message.id).catch((e: unknown) =>
      setNote({ kind: 'alert', text: e instanceof Error ? e.message : String(e) }),
    );
  };

  return (
    <div className="reports-panel">
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
      {note && (
        <p className={note.kind === 'alert' ? 'error small' : 'muted small'} role={note.kind}>
          {note.text}
        </p>
      )}
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
          {list.items.map((report) => (
            <ReportRow
              key={report.id}
              report={report}
              onHide={() => setHiding(report)}
              onUnhide={() => unhide(report)}
              onOpenChat={() => onOpenChat(report.chat.id)}
              onSuspend={() => setSuspending(report)}
            />
          ))}
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

interface RowProps {
  report: ReportView;
  onHide: () => void;
  onUnhide: () => void;
  onOpenChat: () => void;
  onSuspend: () => void;
}

function ReportRow({ report, onHide, onUnhide, onOpenChat, onSuspend }: RowProps) {
  const { t, locale } = useLocale();
  const { message } = report;
  const chat = report.chat.title ?? t('chatList.fallbackTitle', { id: report.chat.id });
  const purged = removalOf({ hidden: null, purged: message.purged });
  const gone = message.is_deleted || purged !== null;
  return (
    <li
      className={`report-row${report.resolved_at ? ' resolved' : ''}`}
      data-testid={`report-row-${report.id}`}
      data-message-id={message.id}
      aria-label={t('moderation.reportLabel', { id: report.id })}
    >
      <p className="report-head small muted">
        {t('moderation.wrote', { name: message.sender.name, chat })} ·{' '}
        <time dateTime={message.created_at}>{fullDateTime(message.created_at, locale)}</time>
      </p>
      <blockquote className={`report-message${message.hidden ? ' is-hidden' : ''}`} data-testid={`report-message-${report.id}`}>
        {purged ? (
          <em>{removalText(purged, t)}</em>
        ) : (
          message.content || <em>{t('moderation.noText')}</em>
        )}
      </blockquote>
      <p className="small">
        <strong>{t('moderation.reportedBy', { name: report.reporter.name })}</strong> ·{' '}
        <time dateTime={report.created_at}>{fullDateTime(report.created_at, locale)}</time>
        <br />
        <span data-testid={`report-reason-${report.id}`}>{t('moderation.reportReason', { reason: report.reason })}</span>
      </p>
      {(message.hidden || message.is_deleted || report.resolution) && (
        <p className="small muted report-state">
          {message.hidden && <span className="hidden-mark">{t('moderation.hiddenLabel')}</span>}
          {message.is_deleted && <span>{t('moderation.deletedByAuthor')}</span>}
          {report.resolution === 'hidden' && <span>{t('moderation.resolvedHidden')}</span>}
        </p>
      )}
      <div className="report-actions">
        {!gone && !message.hidden && (
          <button type="button" className="button button-danger" data-testid={`report-hide-${report.id}`} onClick={onHide}>
            {t('moderation.hide')}
          </button>
        )}
        {!purged && message.hidden && (
          <button type="button" className="button button-quiet" data-testid={`report-unhide-${report.id}`} onClick={onUnhide}>
            {t('moderation.unhide')}
          </button>
        )}
        <button type="button" className="button button-quiet" data-testid={`report-open-${report.id}`} onClick={onOpenChat}>
          {t('moderation.openChat')}
        </button>
        {message.sender.role !== 'admin' && (
          <button type="button" className="button button-quiet" data-testid={`report-suspend-${report.id}`} onClick={onSuspend}>
            {t('moderation.suspendSender')}
          </button>
        )}
      </div>
    </li>
  );
}
