import type { Person } from '../api';
import type { Message, PendingMessage } from '../messages';
import { clockTime, fullDateTime } from '../time';

export type BubbleMessage = { saved: Message } | { pending: PendingMessage };

interface Props {
  item: BubbleMessage;
  side: 'mine' | 'theirs';
  /** The first of consecutive messages from one sender (a little space above). */
  firstOfRun: boolean;
  /** Shown above the text (admins see whose message it is). */
  senderName: string | null;
  canDelete: boolean;
  onDelete: (id: number) => void;
  onRetry: (key: string) => void;
  onDiscard: (key: string) => void;
}

export function MessageBubble({ item, side, firstOfRun, senderName, canDelete, onDelete, onRetry, onDiscard }: Props) {
  const message = 'saved' in item ? item.saved : item.pending;
  const pending = 'pending' in item ? item.pending : null;
  const failed = pending?.status === 'failed';
  const classes = ['message', side, firstOfRun ? 'first-of-run' : '', pending ? `pending ${pending.status}` : '']
    .filter(Boolean)
    .join(' ');

  return (
    <li className={classes} data-testid={'saved' in item ? `message-${item.saved.id}` : 'message-pending'}>
      <div className="bubble">
        {senderName && <span className="sender">{senderName}</span>}
        <p className="text">{message.content}</p>
        <span className="meta">
          <time dateTime={message.createdAt} title={fullDateTime(message.createdAt)}>
            {clockTime(message.createdAt)}
          </time>
          {pending?.status === 'sending' && <span className="status">Sending…</span>}
        </span>
      </div>
      {canDelete && 'saved' in item && (
        <button
          type="button"
          className="icon-button delete-button"
          data-testid={`delete-${item.saved.id}`}
          aria-label="Delete message"
          title="Delete message"
          onClick={() => onDelete(item.saved.id)}
        >
          <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
            <path
              fill="currentColor"
              d="M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm3.5 0v8H15v-8h-1.5z"
            />
          </svg>
        </button>
      )}
      {failed && pending && (
        <div className="send-error" role="alert">
          <span>Not sent: {pending.error}</span>
          <button type="button" className="link-button" data-testid="retry" onClick={() => onRetry(pending.key)}>
            Retry
          </button>
          <button type="button" className="link-button" data-testid="discard" onClick={() => onDiscard(pending.key)}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}

export function senderLabel(people: ReadonlyMap<number, Person>, senderId: number): string {
  return people.get(senderId)?.name ?? `User ${senderId}`;
}
