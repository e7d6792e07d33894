import { Fragment, useEffect, useMemo, useState } from 'react';

import { messagePreview } from '../attachments/attachments';
import { chatTitle } from '../chats/items';
import type { ChatItem } from '../chats/model';
import type { People } from '../groups';
import { useLocale } from '../i18n';
import { fromWire } from '../conversation/knownMessages';
import { searchProblem } from './messageSearch';
import { useSession } from '../session/SessionContext';
import { MAX_SEARCH_CHARS, SEARCH_ORDERS, type SearchHit, type SnippetPart } from './searchApi';
import { fullDateTime, relativeTime } from '../time';
import type { MessageSearchControl } from './useMessageSearch';
import { useNow } from '../useNow';
import { useUsers } from '../useUsers';

/** The server is asked once the words have not changed for this long (Enter asks at once). */
const SEARCH_DEBOUNCE_MS = 350;

interface Props {
  /** The search box's text. */
  query: string;
  search: MessageSearchControl;
  /** The chats listed (their names). */
  chats: readonly ChatItem[];
  /** Names met this session. */
  people: People;
  /** Opens a result's chat at its message. */
  onOpen: (chatId: number, messageId: number) => void;
}

/**
 * The messages found for the search box's words: each with its chat, sender, time and the
 * snippet (matched words marked), best matches or newest first, a page at a time. Typing asks
 * again once it pauses; a newer answer always wins over an older one (useMessageSearch).
 */
export function MessageResults({ query, search, chats, people, onOpen }: Props) {
  const { t, locale } = useLocale();
  const { me } = useSession();
  const now = useNow();
  const { state, search: ask, clear, more } = search;
  const { order } = state;
  const text = query.trim();
  const problem = searchProblem(text);
  const [opened, setOpened] = useState<number | null>(null);

  useEffect(() => {
    if (searchProblem(text) !== null) {
      clear();
      return;
    }
    const timer = setTimeout(() => ask(text, order), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, order, ask, clear]);

  // Senders by name: whoever this session met, the chats' people, the user list (when needed).
  const known = useMemo(() => {
    const names = new Map<number, string>();
    for (const [id, person] of people) names.set(id, person.name);
    for (const chat of chats) for (const p of chat.people) names.set(p.id, p.name);
    return names;
  }, [people, chats]);
  const unknownSender = state.results.some((hit) => hit.message.sender_id !== me.id && !known.has(hit.message.sender_id));
  const users = useUsers(unknownSender);
  const senderName = (id: number) => {
    if (id === me.id) return t('chatList.you');
    const listed = users.status === 'ready' ? users.users.find((u) => u.id === id)?.name : undefined;
    return known.get(id) ?? listed ?? t('conversation.unknownUser', { id });
  };
  const chatName = (chatId: number) => {
    const chat = chats.find((c) => c.id === chatId);
    return chat ? chatTitle(chat, t) : t('chatList.fallbackTitle', { id: chatId });
  };

  const current = state.query === text && problem === null;
  const loading = problem === null && (!current || state.status === 'loading');

  return (
    <section className="message-results" aria-label={t('search.results')} data-testid="message-results">
      {problem === null && (
        <div className="search-orders" role="group" aria-label={t('search.orderLabel')}>
          {SEARCH_ORDERS.map((o) => (
            <button
              key={o}
              type="button"
              className={o === order ? 'active' : ''}
              data-testid={`search-order-${o}`}
              aria-pressed={o === order}
              onClick={() => ask(text, o)}
            >
              {t(`search.${o}`)}
            </button>
          ))}
        </div>
      )}
      {problem === 'empty' && (
        <p className="pane-note muted" data-testid="message-search-hint">
          {t('search.hint')}
        </p>
      )}
      {problem === 'too-long' && (
        <p className="pane-note error small" data-testid="search-too-long">
          {t('search.tooLong', { max: MAX_SEARCH_CHARS })}
        </p>
      )}
      {/* Always there, so screen readers announce what appears in it. */}
      <p className={loading ? 'pane-note muted small' : 'visually-hidden'} data-testid="search-loading" aria-live="polite">
        {loading ? t('search.searching') : ''}
      </p>
      {current && state.status === 'failed' && (
        <div className="pane-note" role="alert" data-testid="search-error">
          <p className="error small">{t('search.failed', { error: state.error ?? '' })}</p>
          <button type="button" className="button" data-testid="search-retry" onClick={() => ask(text, order)}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {current && state.status === 'ready' && state.results.length === 0 && (
        <p className="pane-note muted" data-testid="search-empty" role="status">
          {t('search.empty', { query: text })}
        </p>
      )}
      {current && state.results.length > 0 && (
        <ul>
          {state.results.map((hit) => (
            <li key={hit.message.id}>
              <button
                type="button"
                className={`chat-item search-result${hit.message.id === opened ? ' active' : ''}`}
                data-testid={`search-result-${hit.message.id}`}
                data-chat={hit.chat_id}
                aria-current={hit.message.id === opened ? 'true' : undefined}
                onClick={() => {
                  setOpened(hit.message.id);
                  onOpen(hit.chat_id, hit.message.id);
                }}
              >
                <span className="chat-item-text">
                  <span className="chat-item-top">
                    <span className="chat-item-name">{chatName(hit.chat_id)}</span>
                    <time
                      className="chat-item-time"
                      dateTime={hit.message.created_at}
                      title={fullDateTime(hit.message.created_at, locale)}
                    >
                      {relativeTime(hit.message.created_at, now, t, locale)}
                    </time>
                  </span>
                  <span className="search-result-text">
                    <span className="search-result-sender">{senderName(hit.message.sender_id)}: </span>
                    <Snippet hit={hit} />
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {current && state.status === 'ready' && state.nextCursor !== null && (
        <div className="pane-note list-more">
          {state.more === 'failed' && <p className="error small">{state.moreError}</p>}
          <button
            type="button"
            className="button button-quiet"
            data-testid="search-more"
            disabled={state.more === 'loading'}
            onClick={more}
          >
            {t(state.more === 'loading' ? 'search.loadingMore' : state.more === 'failed' ? 'app.tryAgain' : 'search.more')}
          </button>
        </div>
      )}
    </section>
  );
}

/** A result's snippet: plain text, the matched words in `<mark>` (never parsed as HTML). */
function Snippet({ hit }: { hit: SearchHit }) {
  const { t } = useLocale();
  const parts: readonly SnippetPart[] = hit.snippet;
  // A message with no words to show (only files): what it carries instead.
  if (parts.every((part) => part.text.trim() === '')) {
    return <span className="snippet">{messagePreview(fromWire(hit.message), t)}</span>;
  }
  return (
    <span className="snippet">
      {parts.map((part, i) => (part.highlight ? <mark key={i}>{part.text}</mark> : <Fragment key={i}>{part.text}</Fragment>))}
    </span>
  );
}
