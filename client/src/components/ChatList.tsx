import { type ChatItem, type ChatList as ChatListState, chatTitle } from '../chats';
import { useLocale } from '../i18n';
import { type PresenceMap, noPresence, presenceOf } from '../presence';
import { fullDateTime, relativeTime } from '../time';
import { type Typing, typingIn } from '../typing';
import { useNow } from '../useNow';
import { Avatar } from './Avatar';

interface Props {
  list: ChatListState;
  isAdmin: boolean;
  openChatId: number | null;
  /** Participants: who is typing (shown instead of the last message). */
  typing: Typing;
  /** Participants: who is online (a dot on their avatar). */
  presence: PresenceMap;
  onOpen: (chatId: number) => void;
  onRetry: () => void;
}

export function ChatList({ list, isAdmin, openChatId, typing, presence, onOpen, onRetry }: Props) {
  const { t } = useLocale();
  const now = useNow();
  return (
    <nav className="chat-list" aria-label={t('chatList.label')}>
      <div className="pane-header">
        <h2>{t(isAdmin ? 'chatList.titleAdmin' : 'chatList.title')}</h2>
        {list.status === 'ready' && <span className="muted small">{list.items.length}</span>}
      </div>
      {list.status === 'loading' && <p className="pane-note muted">{t('chatList.loading')}</p>}
      {list.status === 'failed' && (
        <div className="pane-note" role="alert">
          <p className="error">{list.error}</p>
          <button type="button" className="button" onClick={onRetry}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {list.status === 'ready' && list.items.length === 0 && (
        <p className="pane-note muted">{t(isAdmin ? 'chatList.emptyAdmin' : 'chatList.empty')}</p>
      )}
      <ul>
        {list.items.map((item) => (
          <li key={item.id}>
            <ChatListItem
              item={item}
              now={now}
              active={item.id === openChatId}
              typing={!isAdmin && typingIn(typing, item.id, Date.now()).length > 0}
              presence={isAdmin ? noPresence : presence}
              onOpen={() => onOpen(item.id)}
            />
          </li>
        ))}
      </ul>
    </nav>
  );
}

interface ItemProps {
  item: ChatItem;
  now: Date;
  active: boolean;
  /** The other participant is typing in this chat. */
  typing: boolean;
  presence: PresenceMap;
  onOpen: () => void;
}

function ChatListItem({ item, now, active, typing, presence, onOpen }: ItemProps) {
  const { t, locale } = useLocale();
  const admin = item.messagesCount !== null;
  const online = item.people.some((p) => presenceOf(presence, p.id)?.online);
  const subtitle = admin
    ? t('chatList.messages', { count: item.messagesCount ?? 0 })
    : (item.lastMessage?.content ?? t('chatList.noMessages'));
  const unreadLabel = t('chatList.unread', { count: item.unread });
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
          <Avatar key={p.id} person={p} presence={presenceOf(presence, p.id)} />
        ))}
      </span>
      <span className="chat-item-text">
        <span className="chat-item-top">
          <span className="chat-item-name">
            {chatTitle(item)}
            {online && <span className="visually-hidden">, {t('presence.online')}</span>}
          </span>
          {item.lastActivityAt && (
            <time
              className="chat-item-time"
              dateTime={item.lastActivityAt}
              title={fullDateTime(item.lastActivityAt, locale)}
            >
              {relativeTime(item.lastActivityAt, now, locale)}
            </time>
          )}
        </span>
        <span className="chat-item-bottom">
          {typing ? (
            <span className="chat-item-preview typing-text" data-testid={`typing-${item.id}`}>
              {t('typing.short')}
            </span>
          ) : (
            <span className="chat-item-preview">
              {!admin && item.people[0] && <span className="role-inline">{t(`roles.${item.people[0].role}`)} · </span>}
              {subtitle}
            </span>
          )}
          {item.unread > 0 && (
            <span className="badge" data-testid={`unread-${item.id}`} data-count={item.unread} title={unreadLabel}>
              <span aria-hidden="true">{item.unread > 99 ? '99+' : item.unread.toLocaleString(locale)}</span>
              <span className="visually-hidden">{unreadLabel}</span>
            </span>
          )}
        </span>
      </span>
    </button>
  );
}
