import { useLocale } from '../i18n';
import type { ReplyRef } from '../conversation/model';
import { removalText } from '../moderation/removal';

/** The quoted message of a reply: who wrote it and the start of its text, or that it is gone. */
export function Quote(props: { quote: ReplyRef; sender: string | null; testId?: string; onClick?: () => void }) {
  const { t } = useLocale();
  const { quote } = props;
  const body = (
    <>
      {props.sender && !quote.unavailable && <span className="quote-sender">{props.sender}</span>}
      {quote.unavailable ? (
        <em className="quote-preview unavailable">{t('message.quoteUnavailable')}</em>
      ) : quote.removed && !quote.isDeleted ? (
        // Hidden by a moderator, or purged.
        <em className="quote-preview removed" data-removed={quote.removed.kind}>
          {removalText(quote.removed, t)}
        </em>
      ) : quote.isDeleted || quote.preview === null ? (
        <em className="quote-preview deleted">{t('message.deleted')}</em>
      ) : quote.preview === '' ? (
        // A file or an image without a caption.
        <span className="quote-preview">{t('attachments.attachment')}</span>
      ) : (
        <span className="quote-preview">{quote.preview}</span>
      )}
    </>
  );
  if (!props.onClick) return <div className="quote">{body}</div>;
  return (
    <button
      type="button"
      className="quote"
      data-testid={props.testId}
      data-reply-to={quote.id}
      title={t('message.showQuoted')}
      onClick={props.onClick}
    >
      {body}
    </button>
  );
}
