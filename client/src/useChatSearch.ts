// The server search of the chat list (`GET /api/chats?q=…`, admins `/api/admin/chats?q=…`),
// for chats not loaded yet: what it finds joins the list (merged by chat id, in activity
// order), and the search box learns which chats were found for its text.

import { useCallback, useRef, useState } from 'react';

import type { FetchedChats } from './fetchChats';
import { fetchChats } from './fetchChats';
import { useSession } from './session/SessionContext';
import type { Store } from './useWorkspaceStore';

/** A server search of the chat list: for which text, how it went, and the chats it found. */
export interface ChatSearch {
  query: string;
  status: 'idle' | 'loading' | 'done' | 'failed';
  error: string | null;
  /** The ids of the chats found (merged into the list). */
  found: ReadonlySet<number>;
}

export const noSearch: ChatSearch = { query: '', status: 'idle', error: null, found: new Set() };

/** The server takes at most this many characters of search text. */
const MAX_QUERY_CHARS = 100;

export function useChatSearch(
  store: Store,
  absorb: (fetched: FetchedChats, requestedAt: number) => void,
): [ChatSearch, (query: string) => Promise<void>] {
  const { failed } = store;
  const { isAdmin } = useSession();
  const [search, setSearch] = useState<ChatSearch>(noSearch);
  // The newest search asked: an older one answered late changes the list, not what is shown as found.
  const searchSeq = useRef(0);

  const searchChats = useCallback(
    async (query: string) => {
      const seq = ++searchSeq.current;
      const text = query.trim();
      if (text === '') {
        setSearch(noSearch);
        return;
      }
      // The chats found for this text so far stay found while it is asked again.
      setSearch((now) => {
        const found = now.query === text ? now.found : new Set<number>();
        return { query: text, status: 'loading', error: null, found };
      });
      const requestedAt = Date.now();
      try {
        const fetched = await fetchChats(isAdmin, { q: [...text].slice(0, MAX_QUERY_CHARS).join('') });
        store.chats({ type: 'found', items: fetched.items, position: fetched.position ?? 0 });
        absorb(fetched, requestedAt);
        if (seq === searchSeq.current) {
          setSearch({ query: text, status: 'done', error: null, found: new Set(fetched.items.map((i) => i.id)) });
        }
      } catch (error) {
        const why = failed(error);
        if (seq === searchSeq.current) setSearch({ query: text, status: 'failed', error: why, found: new Set() });
      }
    },
    [store, isAdmin, failed, absorb],
  );

  return [search, searchChats];
}
