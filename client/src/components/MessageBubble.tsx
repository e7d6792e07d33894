import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';

import type { KnownPerson } from '../groups';
import { useLocale } from '../i18n';
import type { Message, PendingMessage } from '../conversation/model';
import { hiddenLabel, placeholderOf, removalText } from '../moderation/removal';
import { clockTime, fullDateTime } from '../time';
import { Avatar } from './Avatar';
import { MessageAttachments } from '../attachments/MessageAttachments';
import { MessageEditor } from './MessageEditor';
import { MentionText } from '../mentions/MentionText';
import { mentionsMe } from '../mentions/mentions';
import { useSession } from '../session/SessionContext';
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
  /** A group's "Seen by N of M" (its author's messages; every message to admins). */
  seenBy?: ReactNode;
  canDelete: boolean;
  canEdit: boolean;
  canReply: boolean;
  /** Report it to a moderator (a message of someone else; never admins). */
  canReport?: boolean;
  /** An admin: hide it, or unhide it; and it reads hidden messages (marked) rather than their placeholder. */
  canModerate?: boolean;
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
  onReport?: (message: Message) => void;
  onHide?: (message: Message) => void;
  onUnhide?: (message: Message) => void;
  /** Its reactions, under the bubble (none for a message being sent, hidden or purged). */
  reactions?: ReactNode;
  /** The button to add a reaction, first of its actions (none where the reader may not react). */
  addReaction?: ReactNode;
  /** Whether it is pinned, for those who may pin or unpin it (undefined: they may not). */
  pinned?: boolean;
  onTogglePin?: (messageId: number, on: boolean) => void;
}

export function MessageBubble(props: Props) {
  const { item, side, firstOfRun, senderName, isRead, editing } = props;
  const { t, locale } = useLocale();
  const { me } = useSession();
  const message = 'saved' in item ? item.saved : item.pending;
  const saved = 'saved' in item ? item.saved : null;
  const pending = 'pending' in item ? item.pending : null;
  const failed = pending?.status === 'failed';
  const media = message.attachments.length > 0;
  // Hidden (participants) or purged: a placeholder instead of the message; an admin reads a
  // hidden one, marked.
  const placeholder = saved && placeholderOf(saved, props.canModerate === true);
  const hiddenMark = saved?.hidden && !placeholder ? hiddenLabel(saved.hidden, t) : null;
  const canModerate = props.canModerate === true && saved !== null && saved.purged === null;
  const classes = [
    'message',
    side,
    firstOfRun ? 'first-of-run' : '',
    pending ? `pending ${pending.status}` : '',
    props.highlighted ? 'highlight' : '',
    placeholder ? 'removed' : '',
    hiddenMark ? 'hidden-by-moderator' : '',
    saved && !placeholder && mentionsMe(saved.mentions, me.id) ? 'mentions-me' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const readLabel = isRead === null ? '' : t(isRead ? 'message.read' : 'message.sent');

  return (
    <li
      className={classes}
      data-testid={saved ? `message-${saved.id}` : 'message-pending'}
      data-read={isRead === null ? undefined : String(isRead)}
      data-hidden={saved?.hidden ? 'true' : undefined}
      data-purged={saved?.purged ? 'true' : undefined}
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
        {hiddenMark && (
          <p className="hidden-mark" data-testid={`hidden-mark-${saved!.id}`}>
            <span aria-hidden="true">🚫</span> {hiddenMark}
          </p>
        )}
        {placeholder && (
          <p className="text removed-text" data-testid={`removed-${saved!.id}`} data-removed={placeholder.kind}>
            {removalText(placeholder, t)}
          </p>
        )}
        {!placeholder && message.replyTo && (
          <Quote
            quote={message.replyTo}
            sender={props.quoteSender}
            testId={saved ? `quote-${saved.id}` : undefined}
            onClick={() => props.onQuoteClick(message.replyTo!.id)}
          />
        )}
        {!placeholder && media && <MessageAttachments attachments={message.attachments} />}
        {placeholder ? null : saved && editing ? (
          <MessageEditor
            initial={saved.content}
            onSave={(content) => props.onSaveEdit(saved.id, content)}
            onCancel={props.onCancelEdit}
          />
        ) : (
          // A file or an image may come without a caption.
          (message.content !== '' || !media) && (
            <p className="text">
              <MentionText content={message.content} mentions={saved?.mentions ?? []} />
            </p>
          )
        )}
        <span className="meta">
          {saved?.isEdited && !placeholder && (
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
          {saved && props.seenBy}
        </span>
      </div>
      {saved &&
        !editing &&
        (props.addReaction ||
          props.canReply ||
          props.canEdit ||
          props.canDelete ||
          props.canReport ||
          canModerate ||
          props.pinned !== undefined) && (
        <div className="message-actions">
          {props.addReaction}
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
          {props.pinned !== undefined && (
            <ActionButton
              testId={`${props.pinned ? 'unpin' : 'pin'}-${saved.id}`}
              label={t(props.pinned ? 'pins.unpin' : 'pins.pin')}
              onClick={() => props.onTogglePin?.(saved.id, !props.pinned)}
            >
              <path fill="currentColor" d="M16 3v2h-1v6l2 3v2h-4v5l-1 1-1-1v-5H7v-2l2-3V5H8V3h8z" />
            </ActionButton>
          )}
          {props.canReport && (
            <ActionButton
              testId={`report-${saved.id}`}
              label={t('moderation.report')}
              onClick={() => props.onReport?.(saved)}
            >
              <path fill="currentColor" d="M14.4 6 14 4H5v17h2v-7h5.6l.4 2h7V6z" />
            </ActionButton>
          )}
          {canModerate && !saved.hidden && (
            <ActionButton testId={`hide-${saved.id}`} label={t('moderation.hide')} onClick={() => props.onHide?.(saved)}>
              <path
                fill="currentColor"
                d="M12 7a5 5 0 0 1 4.64 6.83l2.92 2.92A11.8 11.8 0 0 0 23 12c-1.73-4.39-6-7.5-11-7.5-1.4 0-2.74.25-3.98.7l2.16 2.16C10.74 7.13 11.35 7 12 7zM2 4.27l2.74 2.74A11.8 11.8 0 0 0 1 12c1.73 4.39 6 7.5 11 7.5 1.55 0 3.03-.3 4.38-.84l.42.42L19.73 22 21 20.73 3.27 3 2 4.27zM7.53 9.8l1.55 1.55A3 3 0 0 0 12.65 14.92l1.55 1.55A5 5 0 0 1 7.53 9.8z"
              />
            </ActionButton>
          )}
          {canModerate && saved.hidden && (
            <ActionButton
              testId={`unhide-${saved.id}`}
              label={t('moderation.unhide')}
              onClick={() => props.onUnhide?.(saved)}
            >
              <path
                fill="currentColor"
                d="M12 4.5C7 4.5 2.73 7.61 1 12c1.73 4.39 6 7.5 11 7.5s9.27-3.11 11-7.5c-1.73-4.39-6-7.5-11-7.5zM12 17a5 5 0 1 1 0-10 5 5 0 0 1 0 10zm0-8a3 3 0 1 0 0 6 3 3 0 0 0 0-6z"
              />
            </ActionButton>
          )}
        </div>
      )}
      {saved && !placeholder && props.reactions}
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
