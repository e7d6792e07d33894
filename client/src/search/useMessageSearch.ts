// The inbox's message search: asks the server (searchApi.ts) and keeps the answer in
// messageSearch.ts's reducer. One request at a time: a new search (or a page more) cancels the
// one under way, and the reducer drops any answer that is not the last asked for. Failures are
// in words through the store's `failed` (a 401 signs out, as everywhere).

import { useCallback, useEffect, useReducer, useRef } from 'react';

import {
  type MessageSearch,
  isAsked,
  messageSearchReducer,
  noMessageSearch,
  searchProblem,
} from './messageSearch';
import { type SearchOrder, isAbort, searchMessages } from './searchApi';
import { useLatest } from '../useLatest';

export interface MessageSearchControl {
  state: MessageSearch;
  /** Searches for `text` in `order` (unless that is what is shown or on its way); blank: forgets. */
  search: (text: string, order: SearchOrder) => void;
  /** Asks for the next page of the results shown. */
  more: () => void;
  /** Forgets the search (and cancels what is under way). */
  clear: () => void;
}

export function useMessageSearch(failed: (error: unknown) => string): MessageSearchControl {
  const [state, dispatch] = useReducer(messageSearchReducer, noMessageSearch);
  const latest = useLatest(state);
  const controller = useRef<AbortController | null>(null);
  const requests = useRef(0);

  /** A new request: the one under way is cancelled. */
  const start = useCallback(() => {
    controller.current?.abort();
    controller.current = new AbortController();
    return { request: ++requests.current, signal: controller.current.signal };
  }, []);
  useEffect(() => () => controller.current?.abort(), []);

  const ask = useCallback(
    async (q: string, order: SearchOrder, before: string | null, request: number, signal: AbortSignal) => {
      try {
        const page = await searchMessages({ q, order, before }, signal);
        dispatch({ type: 'answered', request, results: page.results, nextCursor: page.next_cursor ?? null });
      } catch (error) {
        if (!isAbort(error)) dispatch({ type: 'failed', request, error: failed(error) });
      }
    },
    [failed],
  );

  const clear = useCallback(() => {
    controller.current?.abort();
    dispatch({ type: 'cleared' });
  }, []);

  const search = useCallback(
    (text: string, order: SearchOrder) => {
      const q = text.trim();
      if (searchProblem(q) !== null) return clear(); // the box says why
      if (isAsked(latest.current, q, order)) return;
      const { request, signal } = start();
      dispatch({ type: 'asked', query: q, order, request });
      void ask(q, order, null, request, signal);
    },
    [latest, start, ask, clear],
  );

  const more = useCallback(() => {
    const { status, nextCursor, more: page, query, order } = latest.current;
    if (status !== 'ready' || nextCursor === null || page === 'loading') return;
    const { request, signal } = start();
    dispatch({ type: 'moreAsked', request });
    void ask(query, order, nextCursor, request, signal);
  }, [latest, start, ask]);

  return { state, search, more, clear };
}
