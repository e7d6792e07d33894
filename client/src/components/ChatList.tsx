import { type ChatItem, type ChatList as ChatListState, chatTitle } from '../chats';
import { ROLE_LABEL } from '../roles';
import { fullDateTime, relativeTime } from '../time';
import { useNow } from '../useNow';
import { Avatar } from './Avatar';

interface Props {
  list: ChatListState;
  isAdmin: boolean;
  openChatId: number | null;
  onOpen: (chatId: number) => void;
  onRetry: () => void;
}

export function ChatList({ list, isAdmin, openChatId, onOpen, onRetry }: Props) {
  const now = useNow();
  return (
    <nav className="chat-list" aria-label="Chats">
      <div className="pane-header">
        <h2>{isAdmin ? 'All chats' : 'Chats'}</h2>
        {list.status === 'ready' && <span className="muted small">{list.items.length}</span>}
      </div>
      {list.status === 'loading' && <p className="pane-note muted">Loading chats…</p>}
      {list.status === 'failed' && (
        <div className="pane-note" role="alert">
          <p className="error">{list.error}</p>
          <button type="button" className="button" onClick={onRetry}>
            Try again
          </button>
        </div>
      )}
      {list.status === 'ready' && list.items.length === 0 && (
        <p className="pane-note muted">
          {isAdmin
            ? 'No chats yet.'
            : 'No chats yet. A chat with your teacher or student opens after your first completed lesson.'}
        </p>
      )}
      <ul>
        {list.items.map((item) => (
          <li key={item.id}>
            <ChatListItem item={item} now={now} active={item.id === openChatId} onOpen={() => onOpen(item.id)} />
          </li>
        ))}
      </ul>
    </nav>
  );
}

function ChatListItem({ item, now, active, onOpen }: { item: ChatItem; now: Date; active: boolean; onOpen: () => void }) {
  const admin = item.messagesCount !== null;
  const subtitle = admin
    ? `${item.messagesCount} ${item.messagesCount === 1 ? 'message' : 'messages'}`
    : (item.lastMessage?.content ?? 'No messages yet');
  return (
    <button
      type="button"
      className={`chat-item${active ? ' active' : ''}${item.unread > 0 ? ' has-unread' : ''}`}
      data-testid={`chat-${item.id}`}
      aria-current={active ? 'true' : undefined}
      onClick={onOpen}
    >
      <span className={`avatars avatars-${item.people.length}`}>
        {item.people.map((p) => (
          <Avatar key={p.id} person={p} />
        ))}
      </span>
      <span className="chat-item-text">
        <span className="chat-item-top">
          <span className="chat-item-name">{chatTitle(item)}</span>
          {item.lastActivityAt && (
            <time className="chat-item-time" dateTime={item.lastActivityAt} title={fullDateTime(item.lastActivityAt)}>
              {relativeTime(item.lastActivityAt, now)}
            </time>
          )}
        </span>
        <span className="chat-item-bottom">
          <span className="chat-item-preview">
            {!admin && item.people[0] && <span className="role-inline">{ROLE_LABEL[item.people[0].role]} · </span>}
            {subtitle}
          </span>
          {item.unread > 0 && (
            <span className="badge" data-testid={`unread-${item.id}`}>
              {item.unread > 99 ? '99+' : item.unread}
              <span className="visually-hidden"> unread</span>
            </span>
          )}
        </span>
      </span>
    </button>
  );
}
