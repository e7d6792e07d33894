import type { ReportView } from '../api';
import { useLocale } from '../i18n';
import { isFlag } from './moderation';
import { removalOf, removalText } from './removal';
import { fullDateTime } from '../time';

interface RowProps {
  report: ReportView;
  onHide: () => void;
  /** Clear it (nothing to act on); absent where it is not offered. */
  onClear?: () => void;
  onUnhide: () => void;
  onOpenChat: () => void;
  onSuspend: () => void;
}

/**
 * A report or flag of the Moderation dialog: the message, who wrote it where, who reported it
 * and why (a flag: its cause, the term it matched or a burst), what became of it, and what may
 * be done: hide it, clear it, unhide it, open its chat, suspend its sender.
 */
export function ReportRow({ report, onHide, onClear, onUnhide, onOpenChat, onSuspend }: RowProps) {
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
        <strong>
          {report.reporter ? t('moderation.reportedBy', { name: report.reporter.name }) : t('flags.flaggedBySystem')}
        </strong>{' '}
        · <time dateTime={report.created_at}>{fullDateTime(report.created_at, locale)}</time>
        <br />
        {isFlag(report) ? (
          <span className="flag-cause" data-testid={`flag-cause-${report.id}`}>
            {t('flags.cause', { cause: report.flag ?? report.reason })}
          </span>
        ) : (
          <span data-testid={`report-reason-${report.id}`}>{t('moderation.reportReason', { reason: report.reason })}</span>
        )}
      </p>
      {(message.hidden || message.is_deleted || report.resolution) && (
        <p className="small muted report-state">
          {message.hidden && <span className="hidden-mark">{t('moderation.hiddenLabel')}</span>}
          {message.is_deleted && <span>{t('moderation.deletedByAuthor')}</span>}
          {report.resolution === 'hidden' && <span>{t('moderation.resolvedHidden')}</span>}
          {report.resolution === 'cleared' && <span>{t('flags.resolvedCleared')}</span>}
        </p>
      )}
      <div className="report-actions">
        {!gone && !message.hidden && (
          <button type="button" className="button button-danger" data-testid={`report-hide-${report.id}`} onClick={onHide}>
            {t('moderation.hide')}
          </button>
        )}
        {onClear && !report.resolved_at && (
          <button type="button" className="button button-quiet" data-testid={`report-clear-${report.id}`} onClick={onClear}>
            {t('flags.clear')}
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
