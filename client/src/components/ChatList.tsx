import { useEffect, useRef, useState } from 'react';

import type { ChatList as ChatListState } from '../chats/model';
import type { People } from '../groups';
import { useLocale } from '../i18n';
import { FAMILY_SECTION, SCHOOL_SECTION, groupByContext, groupByWard, matchesSearch } from '../inbox';
import { type PresenceMap, noPresence } from '../presence';
import { useSession } from '../session/SessionContext';
import { type Typing, typingIn } from '../typing';
import { useNow } from '../useNow';
import type { ChatSearch } from '../useChatSearch';
import type { MessageSearchControl } from '../search/useMessageSearch';
import { ArchivedChats } from './ArchivedChats';
import { ChatActions } from './ChatActions';
import { ChatListItem, moveBetweenChats } from './ChatListItem';
import { MessageResults } from '../search/MessageResults';
import { type SearchMode, SearchBox } from './SearchBox';

/** The server is asked once the search text has not changed for this long. */
const SEARCH_DEBOUNCE_MS = 300;

/** The titles of a guardian's own sections (their children's are titled with each child's name). */
const ownSection: Readonly<Record<string, 'families.section' | 'families.school'>> = {
  [FAMILY_SECTION]: 'families.section',
  [SCHOOL_SECTION]: 'families.school',
};

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
 * A participant's chats each have their actions (mute, archive: ChatActions); archived ones
 * leave the inbox for the "Archived" view (ArchivedChats) until their next message.
 */
export function ChatList(props: Props) {
  const { list, openChatId, typing, presence, people, onOpen, onRetry, onNewGroup, onInquiryLinks, onLessons } = props;
  const { search, onSearch, onLoadMore, messageSearch, onOpenMessage } = props;
  const { t } = useLocale();
  const now = useNow();
  const { isAdmin, isGuardian, isGuest } = useSession();
  // Admins and guardians take part in no chat; a guest's one chat is all they have.
  const ownSettings = !isAdmin && !isGuardian && !isGuest;
  const [archivedView, setArchivedView] = useState(false);
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<SearchMode>('chats');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const inMessages = mode === 'messages';
  // The chats are filtered by the box's text only while it searches chats.
  const text = inMessages ? '' : query.trim();
  const searching = text !== '';
  // What the server found for this text counts as a match too (it may match where this filter does not).
  const found = search.query === text ? search.found : null;
  const inbox = list.items.filter((item) => !item.archived);
  const matching = inbox.filter((item) => matchesSearch(item, text) || found?.has(item.id) === true);
  // What the archived view must load again for: our archive changed in the inbox.
  const archiveChanges = list.items.map((i) => `${i.id}:${i.archived ? 1 : 0}`).join(',');
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
    <nav className="chat-list" aria-label={t('chatList.label')} onKeyDown={moveBetweenChats}>
      <div className="pane-header">
        <h2>
          {t(
            archivedView
              ? 'chatList.archived'
              : isAdmin
                ? 'chatList.titleAdmin'
                : isGuardian
                  ? 'guardians.chatsTitle'
                  : 'chatList.title',
          )}
        </h2>
        {list.status === 'ready' && !archivedView && <span className="muted small">{inbox.length}</span>}
        {ownSettings && (
          <button
            type="button"
            className="button button-quiet header-button"
            data-testid="archived-view"
            aria-pressed={archivedView}
            onClick={() => setArchivedView((was) => !was)}
          >
            {archivedView ? `← ${t('chatList.inbox')}` : `🗄 ${t('chatList.archived')}`}
          </button>
        )}
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
      {archivedView && (
        <ArchivedChats
          openChatId={openChatId}
          presence={presence}
          people={people}
          changes={archiveChanges}
          onOpen={onOpen}
        />
      )}
      {!archivedView && list.status === 'ready' && list.items.length > 0 && (
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
      {!archivedView && list.status === 'ready' && inbox.length === 0 && (
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
      {!inMessages && !archivedView && sections.map((section) => {
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
                  <span className="section-title">
                    {section.title ?? t(ownSection[section.key] ?? 'chatList.otherChats')}
                  </span>
                  <span className="muted small">{section.items.length}</span>
                </button>
              </h3>
            )}
            {open && (
              <ul>
                {section.items.map((item) => (
                  <li key={item.id} className={ownSettings ? 'chat-row' : undefined}>
                    <ChatListItem
                      item={item}
                      now={now}
                      active={item.id === openChatId}
                      typists={isAdmin ? [] : typingIn(typing, item.id, Date.now())}
                      people={people}
                      presence={isAdmin ? noPresence : presence}
                      onOpen={() => onOpen(item.id)}
                    />
                    {ownSettings && item.membership === 'member' && <ChatActions item={item} />}
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
      {list.status === 'ready' && !searching && !inMessages && !archivedView && list.nextCursor !== null && (
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
