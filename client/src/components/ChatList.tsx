import { useEffect, useRef, useState } from 'react';

import type { ChatItem, ChatList as ChatListState } from '../chats/model';
import type { People } from '../groups';
import { useLocale } from '../i18n';
import { groupByContext, groupByWard, matchesSearch, rowInfo } from '../inbox';
import { type PresenceMap, noPresence, presenceOf } from '../presence';
import { lastLineText } from '../moderation/removal';
import { useSession } from '../session/SessionContext';
import { fullDateTime, relativeTime } from '../time';
import { type Typing, typingIn, typingText } from '../typing';
import { useNow } from '../useNow';
import type { ChatSearch } from '../useChatSearch';
import type { MessageSearchControl } from '../search/useMessageSearch';
import { Avatar } from './Avatar';
import { MessageResults } from '../search/MessageResults';
import { type SearchMode, SearchBox } from './SearchBox';

/** The server is asked once the search text has not changed for this long. */
const SEARCH_DEBOUNCE_MS = 300;

interface Props {
  list: ChatListState;
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
  /** Teachers and admins: "Inquiry links". */
  onInquiryLinks: (() => void) | null;
  /** Teachers and admins: "Lessons" (the scheduled ones, to mark completed). */
  onLessons: (() => void) | null;
  /** The server search for the search box's text. */
  search: ChatSearch;
  onSearch: (query: string) => void;
  /** The list's end is in view (or "Load more" was clicked): the next page, if any. */
  onLoadMore: () => void;
  /** The search of messages (the same box, in its "Messages" mode). */
  messageSearch: MessageSearchControl;
  /** Opens a message found: its chat, at the message. */
  onOpenMessage: (chatId: number, messageId: number) => void;
}

/**
 * The inbox: a search box (by a partner's name or a group's or an inquiry's title: the chats
 * loaded at once, and the server's answer for all of them shortly after; or, switched to
 * messages, the words of the messages: MessageResults), and the chats in sections by what they
 * are about (collapsible; a guardian's: by child), each most recent first; more pages load when its end comes into view.
 */
export function ChatList(props: Props) {
  const { list, openChatId, typing, presence, people, onOpen, onRetry, onNewGroup, onInquiryLinks, onLessons } = props;
  const { search, onSearch, onLoadMore, messageSearch, onOpenMessage } = props;
  const { t } = useLocale();
  const now = useNow();
  const { isAdmin, isGuardian } = useSession();
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<SearchMode>('chats');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const inMessages = mode === 'messages';
  // The chats are filtered by the box's text only while it searches chats.
  const text = inMessages ? '' : query.trim();
  const searching = text !== '';
  // What the server found for this text counts as a match too (it may match where this filter does not).
  const found = search.query === text ? search.found : null;
  const matching = list.items.filter((item) => matchesSearch(item, text) || found?.has(item.id) === true);
  // A guardian's chats go under each child's name; everyone else's by what they are about.
  const sections = isGuardian ? groupByWard(matching) : groupByContext(matching);
  const serverSearching = searching && (search.query !== text || search.status === 'loading');

  // The server is asked once typing pauses; a blank box forgets the search at once.
  useEffect(() => {
    if (text === '') {
      onSearch('');
      return;
    }
    const timer = setTimeout(() => onSearch(text), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, onSearch]);
  const searchMessages = () => {
    setMode('messages');
    messageSearch.search(query, messageSearch.state.order);
  };
  const toggle = (key: string) =>
    setCollapsed((now) => {
      const next = new Set(now);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  return (
    <nav className="chat-list" aria-label={t('chatList.label')}>
      <div className="pane-header">
        <h2>{t(isAdmin ? 'chatList.titleAdmin' : isGuardian ? 'guardians.chatsTitle' : 'chatList.title')}</h2>
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
        {onInquiryLinks && (
          <button
            type="button"
            className={`button button-quiet header-button${onNewGroup ? '' : ' new-group-button'}`}
            data-testid="inquiry-links"
            onClick={onInquiryLinks}
          >
            🔗 {t('inquiry.links')}
          </button>
        )}
        {onLessons && (
          <button type="button" className="button button-quiet header-button" data-testid="lessons-button" onClick={onLessons}>
            📅 {t('lessons.button')}
          </button>
        )}
      </div>
      {list.status === 'ready' && list.items.length > 0 && (
        <SearchBox
          query={query}
          mode={mode}
          onQuery={setQuery}
          onMode={(next) => (next === 'messages' ? searchMessages() : setMode(next))}
          onSearchMessages={searchMessages}
        />
      )}
      {inMessages && (
        <MessageResults
          query={query}
          search={messageSearch}
          chats={list.items}
          people={people}
          onOpen={onOpenMessage}
        />
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
        <p className="pane-note muted">
          {t(isAdmin ? 'chatList.emptyAdmin' : isGuardian ? 'guardians.noChats' : 'chatList.empty')}
        </p>
      )}
      {searching && matching.length === 0 && !serverSearching && (
        <p className="pane-note muted" data-testid="no-matches">
          {t('chatList.noMatches', { query: text })}
        </p>
      )}
      {serverSearching && (
        <p className="pane-note muted small" data-testid="searching" aria-live="polite">
          {t('chatList.searching')}
        </p>
      )}
      {searching && search.query === text && search.status === 'failed' && (
        <p className="pane-note error small">{t('chatList.searchFailed', { error: search.error ?? '' })}</p>
      )}
      {!inMessages && sections.map((section) => {
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
      {list.status === 'ready' && !searching && !inMessages && list.nextCursor !== null && (
        <MoreChats list={list} onLoadMore={onLoadMore} />
      )}
    </nav>
  );
}

/** The end of a list with more pages: loads the next one as it comes into view, or on a click. */
function MoreChats({ list, onLoadMore }: { list: ChatListState; onLoadMore: () => void }) {
  const { t } = useLocale();
  const end = useRef<HTMLDivElement>(null);
  const { more } = list;
  const loading = more.status === 'loading';
  const failed = more.status === 'failed';
  // A new observer each time the list grows: it reports at once whether the end is still in
  // view (a page too short to fill the pane asks for the next).
  useEffect(() => {
    const el = end.current;
    if (!el || loading || failed || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) onLoadMore();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [list.items.length, list.nextCursor, loading, failed, onLoadMore]);

  return (
    <div className="pane-note list-more" ref={end}>
      {failed && <p className="error small">{more.error}</p>}
      <button type="button" className="button button-quiet" data-testid="load-more" disabled={loading} onClick={onLoadMore}>
        {t(loading ? 'chatList.loadingMore' : failed ? 'app.tryAgain' : 'chatList.loadMore')}
      </button>
    </div>
  );
}

interface ItemProps {
  item: ChatItem;
  now: Date;
  active: boolean;
  /** Who else is typing in this chat. */
  typists: number[];
  people: People;
  presence: PresenceMap;
  onOpen: () => void;
}

function ChatListItem({ item, now, active, typists, people, presence, onOpen }: ItemProps) {
  const { t, locale } = useLocale();
  const { me } = useSession();
  const admin = item.messagesCount !== null;
  const group = item.kind === 'group';
  const online = !group && item.people.some((p) => presenceOf(presence, p.id)?.online);
  const row = rowInfo(item, t);
  const { title } = row;
  const unreadLabel = t('chatList.unread', { count: item.unread });
  // A group names who types, when it knows them all.
  const typistNames = typists.map((id) => people.get(id)?.name);
  const typingLine =
    typists.length === 0
      ? null
      : group && typistNames.every((name) => name !== undefined)
        ? typingText(typistNames as string[], t)
        : t('typing.short');
  const last = item.lastMessage;
  const senderName = (id: number, named: string | null) =>
    id === me.id ? t('chatList.you') : (named ?? people.get(id)?.name ?? '…');
  // A file or an image without text says what it is ("🖼 Photo", "📎 решение.txt"); a hidden
  // or purged message, only that it is.
  const lastPreview = last && lastLineText(last, t);
  const lastText = last
    ? group
      ? t('chatList.senderPreview', { name: senderName(last.senderId, last.senderName), text: lastPreview })
      : lastPreview
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
      data-closed={row.closed ? 'true' : undefined}
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
          {item.wardOnly && item.ward && (
            <span className="role role-small" data-testid={`ward-only-${item.id}`}>
              {t('guardians.wardOnly', { name: item.ward.name })}
            </span>
          )}
          {row.badge && (
            <span className={`role role-${row.badge} role-small`} data-testid={`badge-${item.id}`}>
              {t(`roles.${row.badge}`)}
            </span>
          )}
          {item.lastActivityAt && (
            <time
              className="chat-item-time"
              dateTime={item.lastActivityAt}
              title={fullDateTime(item.lastActivityAt, locale)}
            >
              {relativeTime(item.lastActivityAt, now, t, locale)}
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
              {row.closed && (
                <span className="role-inline closed-mark" data-testid={`closed-${item.id}`}>
                  {t('chatList.closed')} ·{' '}
                </span>
              )}
              {row.who !== null && (
                <span className="role-inline" data-testid={`who-${item.id}`}>
                  {row.who} ·{' '}
                </span>
              )}
              {group && (
                <span className="role-inline" data-testid={`members-${item.id}`}>
                  {t('chatList.members', { count: item.participantsCount })} ·{' '}
                </span>
              )}
              {item.kind === 'direct' && !admin && item.people[0] && (
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
