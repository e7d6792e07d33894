import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';

import type { KnownPerson } from '../groups';
import { useLocale } from '../i18n';
import type { Message, PendingMessage } from '../messages';
import { clockTime, fullDateTime } from '../time';
import { Avatar } from './Avatar';
import { MessageAttachments } from './MessageAttachments';
import { MessageEditor } from './MessageEditor';
import { Quote } from './Quote';

export type BubbleMessage = { saved: Message } | { pending: PendingMessage };

interface Props {
  item: BubbleMessage;
  side: 'mine' | 'theirs';
  /** The first of consecutive messages from one sender (a little space above). */
  firstOfRun: boolean;
  /** Shown above the text (admins see whose message it is; in a group, whose message of others). */
  senderName: string | null;
  /** In a group, the sender of a message of others: their avatar beside the first of a run
   * (null: a blank of the same width); undefined: no avatar column. */
  avatar?: KnownPerson | null;
  /** The name of whoever wrote the quoted message, if this is a reply. */
  quoteSender: string | null;
  /** Own saved messages: whether the other participant has read it (✓✓) or not (✓); else null. */
  isRead: boolean | null;
  canDelete: boolean;
  canEdit: boolean;
  canReply: boolean;
  /** A failed send may be tried again (not in a closed inquiry). */
  canRetry?: boolean;
  editing: boolean;
  /** Briefly marked after a jump from a quote. */
  highlighted: boolean;
  onDelete: (id: number) => void;
  onRetry: (key: string) => void;
  onDiscard: (key: string) => void;
  onReply: (message: Message) => void;
  onStartEdit: (id: number) => void;
  onCancelEdit: () => void;
  /** Saves the new text; rejects with a reason to show. */
  onSaveEdit: (id: number, content: string) => Promise<void>;
  onQuoteClick: (id: number) => void;
}

export function MessageBubble(props: Props) {
  const { item, side, firstOfRun, senderName, isRead, editing } = props;
  const { t, locale } = useLocale();
  const message = 'saved' in item ? item.saved : item.pending;
  const saved = 'saved' in item ? item.saved : null;
  const pending = 'pending' in item ? item.pending : null;
  const failed = pending?.status === 'failed';
  const media = message.attachments.length > 0;
  const classes = [
    'message',
    side,
    firstOfRun ? 'first-of-run' : '',
    pending ? `pending ${pending.status}` : '',
    props.highlighted ? 'highlight' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const readLabel = isRead === null ? '' : t(isRead ? 'message.read' : 'message.sent');

  return (
    <li
      className={classes}
      data-testid={saved ? `message-${saved.id}` : 'message-pending'}
      data-read={isRead === null ? undefined : String(isRead)}
    >
      {props.avatar !== undefined && (
        <span className="message-avatar">{props.avatar && <Avatar person={props.avatar} size="sm" />}</span>
      )}
      <div className={`bubble${editing ? ' editing' : ''}${media ? ' has-attachments' : ''}`}>
        {senderName && (
          <span className="sender" data-testid={saved ? `sender-${saved.id}` : undefined}>
            {senderName}
          </span>
        )}
        {message.replyTo && (
          <Quote
            quote={message.replyTo}
            sender={props.quoteSender}
            testId={saved ? `quote-${saved.id}` : undefined}
            onClick={() => props.onQuoteClick(message.replyTo!.id)}
          />
        )}
        {media && <MessageAttachments attachments={message.attachments} />}
        {saved && editing ? (
          <MessageEditor
            initial={saved.content}
            onSave={(content) => props.onSaveEdit(saved.id, content)}
            onCancel={props.onCancelEdit}
          />
        ) : (
          // A file or an image may come without a caption.
          (message.content !== '' || !media) && <p className="text">{message.content}</p>
        )}
        <span className="meta">
          {saved?.isEdited && (
            <span
              className="edited"
              data-testid={`edited-${saved.id}`}
              title={saved.editedAt ? t('message.editedAt', { time: fullDateTime(saved.editedAt, locale) }) : undefined}
            >
              {t('message.edited')}
            </span>
          )}
          <time dateTime={message.createdAt} title={fullDateTime(message.createdAt, locale)}>
            {clockTime(message.createdAt, locale)}
          </time>
          {pending?.status === 'sending' && <span className="status">{t('message.sending')}</span>}
          {saved && isRead !== null && (
            <span
              className={`ticks${isRead ? ' read' : ''}`}
              data-testid={`ticks-${saved.id}`}
              data-read={String(isRead)}
              role="img"
              aria-label={readLabel}
              title={readLabel}
            >
              {isRead ? '✓✓' : '✓'}
            </span>
          )}
        </span>
      </div>
      {saved && !editing && (props.canReply || props.canEdit || props.canDelete) && (
        <div className="message-actions">
          {props.canReply && (
            <ActionButton testId={`reply-${saved.id}`} label={t('message.reply')} onClick={() => props.onReply(saved)}>
              <path fill="currentColor" d="M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z" />
            </ActionButton>
          )}
          {props.canEdit && (
            <ActionButton
              testId={`edit-${saved.id}`}
              label={t('message.edit')}
              onClick={() => props.onStartEdit(saved.id)}
            >
              <path
                fill="currentColor"
                d="M3 17.25V21h3.75L17.8 9.94l-3.75-3.75L3 17.25zM20.7 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z"
              />
            </ActionButton>
          )}
          {props.canDelete && (
            <ActionButton
              testId={`delete-${saved.id}`}
              label={t('message.delete')}
              className="delete-button"
              onClick={() => props.onDelete(saved.id)}
            >
              <path
                fill="currentColor"
                d="M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm3.5 0v8H15v-8h-1.5z"
              />
            </ActionButton>
          )}
        </div>
      )}
      {failed && pending && (
        <div className="send-error" role="alert">
          <span>{t('message.notSent', { error: pending.error })}</span>
          {props.canRetry !== false && (
            <button type="button" className="link-button" data-testid="retry" onClick={() => props.onRetry(pending.key)}>
              {t('message.retry')}
            </button>
          )}
          <button type="button" className="link-button" data-testid="discard" onClick={() => props.onDiscard(pending.key)}>
            {t('message.discard')}
          </button>
        </div>
      )}
    </li>
  );
}

function ActionButton(props: {
  testId: string;
  label: string;
  className?: string;
  onClick: () => void;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={`icon-button action-button ${props.className ?? ''}`.trim()}
      data-testid={props.testId}
      aria-label={props.label}
      title={props.label}
      onClick={props.onClick}
    >
      <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
        {props.children}
      </svg>
    </button>
  );
}

/** A sender's name, if known; else "User 12" in the words of `t`. */
export function senderLabel(people: ReadonlyMap<number, Pick<KnownPerson, 'name'>>, senderId: number, t: TFunction): string {
  return people.get(senderId)?.name ?? t('conversation.unknownUser', { id: senderId });
}
