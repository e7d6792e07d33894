import type { KeyboardEvent } from 'react';

import { useLocale } from '../i18n';

/** What the inbox's search box searches: the chats' names (as you type), or the messages' words. */
export type SearchMode = 'chats' | 'messages';

interface Props {
  query: string;
  mode: SearchMode;
  onQuery: (query: string) => void;
  onMode: (mode: SearchMode) => void;
  /** Enter, or "Search messages for …": the messages now. */
  onSearchMessages: () => void;
}

/**
 * The inbox's search: one box, and a switch between chats (filtered by name as you type) and
 * messages (the server's search of their words). While it shows chats, a line under the box
 * offers to search the messages for the same words (so does Enter).
 */
export function SearchBox({ query, mode, onQuery, onMode, onSearchMessages }: Props) {
  const { t } = useLocale();
  const text = query.trim();
  const messages = mode === 'messages';
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter' || text === '') return;
    event.preventDefault();
    onSearchMessages();
  };

  return (
    <div className="chat-search">
      <div className="search-modes" role="group" aria-label={t('search.modeLabel')}>
        {(['chats', 'messages'] as const).map((m) => (
          <button
            key={m}
            type="button"
            className={m === mode ? 'active' : ''}
            data-testid={`search-mode-${m}`}
            aria-pressed={m === mode}
            onClick={() => onMode(m)}
          >
            {t(m === 'chats' ? 'search.modeChats' : 'search.modeMessages')}
          </button>
        ))}
      </div>
      <label className="visually-hidden" htmlFor="search-chats">
        {t(messages ? 'search.messagesLabel' : 'chatList.searchLabel')}
      </label>
      <input
        id="search-chats"
        type="search"
        data-testid="search-chats"
        data-mode={mode}
        enterKeyHint="search"
        value={query}
        placeholder={t(messages ? 'search.messagesPlaceholder' : 'chatList.searchPlaceholder')}
        onChange={(e) => onQuery(e.target.value)}
        onKeyDown={onKeyDown}
      />
      {!messages && text !== '' && (
        <button type="button" className="link-button search-messages-action" data-testid="search-messages-action" onClick={onSearchMessages}>
          <span aria-hidden="true">🔍 </span>
          {t('search.messagesFor', { query: text })}
        </button>
      )}
    </div>
  );
}
