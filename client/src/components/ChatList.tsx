import { useState } from 'react';

import type { Person } from '../api';
import { type ChatItem, type ChatList as ChatListState, chatTitle } from '../chats';
import type { People } from '../groups';
import { useLocale } from '../i18n';
import { filterChats, groupByContext } from '../inbox';
import { type PresenceMap, noPresence, presenceOf } from '../presence';
import { fullDateTime, relativeTime } from '../time';
import { type Typing, typingIn, typingText } from '../typing';
import { useNow } from '../useNow';
import { Avatar } from './Avatar';

interface Props {
  list: ChatListState;
  me: Person;
  openChatId: number | null;
  /** Participants: who is typing (shown instead of the last message). */
  typing: Typing;
  /** Participants: who is online (a dot on their avatar). */
  presence: PresenceMap;
  /** Names met this session: who types in a group. */
  people: People;
  onOpen: (chatId: number) => void;
  onRetry: () => void;
  /** Teachers and admins: "New group". */
  onNewGroup: (() => void) | null;
}

/**
 * The inbox: a search box (by a partner's name or a group's title), and the chats in sections
 * by what they are about (collapsible), each most recent first.
 */
export function ChatList({ list, me, openChatId, typing, presence, people, onOpen, onRetry, onNewGroup }: Props) {
  const { t } = useLocale();
  const now = useNow();
  const isAdmin = me.role === 'admin';
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const searching = query.trim() !== '';
  const matching = filterChats(list.items, query);
  const sections = groupByContext(matching);
  const toggle = (key: string) =>
    setCollapsed((now) => {
      const next = new Set(now);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  return (
    <nav className="chat-list" aria-label={t('chatList.label')}>
      <div className="pane-header">
        <h2>{t(isAdmin ? 'chatList.titleAdmin' : 'chatList.title')}</h2>
        {list.status === 'ready' && <span className="muted small">{list.items.length}</span>}
        {onNewGroup && (
          <button
            type="button"
            className="button button-quiet new-group-button"
            data-testid="new-group"
            onClick={onNewGroup}
          >
            + {t('groups.newGroup')}
          </button>
        )}
      </div>
      {list.status === 'ready' && list.items.length > 0 && (
        <div className="chat-search">
          <label className="visually-hidden" htmlFor="search-chats">
            {t('chatList.searchLabel')}
          </label>
          <input
            id="search-chats"
            type="search"
            data-testid="search-chats"
            value={query}
            placeholder={t('chatList.searchPlaceholder')}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
      )}
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
      {searching && matching.length === 0 && (
        <p className="pane-note muted" data-testid="no-matches">
          {t('chatList.noMatches', { query: query.trim() })}
        </p>
      )}
      {sections.map((section) => {
        const titled = sections.length > 1 || section.title !== null;
        // While searching every match is shown.
        const open = searching || !collapsed.has(section.key);
        return (
          <section key={section.key} className="chat-section" data-testid={`section-${section.key}`}>
            {titled && (
              <h3 className="section-header">
                <button
                  type="button"
                  className="section-toggle"
                  data-testid={`section-toggle-${section.key}`}
                  aria-expanded={open}
                  onClick={() => toggle(section.key)}
                >
                  <span className="section-chevron" aria-hidden="true">
                    {open ? '▾' : '▸'}
                  </span>
                  <span className="section-title">{section.title ?? t('chatList.otherChats')}</span>
                  <span className="muted small">{section.items.length}</span>
                </button>
              </h3>
            )}
            {open && (
              <ul>
                {section.items.map((item) => (
                  <li key={item.id}>
                    <ChatListItem
                      item={item}
                      me={me}
                      now={now}
                      active={item.id === openChatId}
                      typists={isAdmin ? [] : typingIn(typing, item.id, Date.now())}
                      people={people}
                      presence={isAdmin ? noPresence : presence}
                      onOpen={() => onOpen(item.id)}
                    />
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </nav>
  );
}

interface ItemProps {
  item: ChatItem;
  me: Person;
  now: Date;
  active: boolean;
  /** Who else is typing in this chat. */
  typists: number[];
  people: People;
  presence: PresenceMap;
  onOpen: () => void;
}

function ChatListItem({ item, me, now, active, typists, people, presence, onOpen }: ItemProps) {
  const { t, locale, language } = useLocale();
  const admin = item.messagesCount !== null;
  const group = item.kind === 'group';
  const online = !group && item.people.some((p) => presenceOf(presence, p.id)?.online);
  const title = chatTitle(item);
  const unreadLabel = t('chatList.unread', { count: item.unread });
  // A group names who types, when it knows them all.
  const typistNames = typists.map((id) => people.get(id)?.name);
  const typingLine =
    typists.length === 0
      ? null
      : group && typistNames.every((name) => name !== undefined)
        ? typingText(typistNames as string[], language)
        : t('typing.short');
  const last = item.lastMessage;
  const senderName = (id: number, named: string | null) =>
    id === me.id ? t('chatList.you') : (named ?? people.get(id)?.name ?? '…');
  const lastText = last
    ? group
      ? t('chatList.senderPreview', { name: senderName(last.senderId, last.senderName), text: last.content })
      : last.content
    : t('chatList.noMessages');
  const ended = item.membership !== 'member';
  const classes = ['chat-item', active ? 'active' : '', item.unread > 0 ? 'has-unread' : '', ended ? 'ended' : '']
    .filter(Boolean)
    .join(' ');

  return (
    <button
      type="button"
      className={classes}
      data-testid={`chat-${item.id}`}
      data-kind={item.kind}
      data-membership={item.membership}
      aria-current={active ? 'true' : undefined}
      onClick={onOpen}
    >
      {group ? (
        <span className="avatars avatars-1">
          <Avatar person={{ id: item.id, name: title }} group />
        </span>
      ) : (
        <span className={`avatars avatars-${item.people.length}`}>
          {item.people.map((p) => (
            <Avatar key={p.id} person={p} presence={presenceOf(presence, p.id)} />
          ))}
        </span>
      )}
      <span className="chat-item-text">
        <span className="chat-item-top">
          <span className="chat-item-name">
            {title}
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
          {ended ? (
            <span className="chat-item-preview" data-testid={`ended-${item.id}`}>
              {t(item.membership === 'left' ? 'chatList.left' : 'chatList.removed')}
            </span>
          ) : typingLine ? (
            <span className="chat-item-preview typing-text" data-testid={`typing-${item.id}`}>
              {typingLine}
            </span>
          ) : (
            <span className="chat-item-preview">
              {group && (
                <span className="role-inline" data-testid={`members-${item.id}`}>
                  {t('chatList.members', { count: item.participantsCount })} ·{' '}
                </span>
              )}
              {!group && !admin && item.people[0] && (
                <span className="role-inline">{t(`roles.${item.people[0].role}`)} · </span>
              )}
              {admin ? t('chatList.messages', { count: item.messagesCount ?? 0 }) : lastText}
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
