// The inbox's message search, as a pure reducer: which words and order were asked last, how
// that went, the results so far and where the next page starts. Each request has a number;
// an answer for any request but the last one asked is dropped, so an older answer never
// replaces a newer one (the hook also cancels the older request: belt and braces).

import type { SearchHit, SearchOrder } from './searchApi';
import { MAX_SEARCH_CHARS } from './searchApi';

export interface MessageSearch {
  /** The words searched for ('' : none). */
  query: string;
  order: SearchOrder;
  status: 'idle' | 'loading' | 'ready' | 'failed';
  /** Why the first page failed, in words for the person. */
  error: string | null;
  results: SearchHit[];
  /** Where the next page starts (null: there is none). */
  nextCursor: string | null;
  /** The next page: on its way, or failed (with `moreError`). */
  more: 'idle' | 'loading' | 'failed';
  moreError: string | null;
  /** The request whose answer is awaited. */
  request: number;
}

export const noMessageSearch: MessageSearch = {
  query: '',
  order: 'relevance',
  status: 'idle',
  error: null,
  results: [],
  nextCursor: null,
  more: 'idle',
  moreError: null,
  request: 0,
};

export type MessageSearchAction =
  | { type: 'asked'; query: string; order: SearchOrder; request: number }
  | { type: 'moreAsked'; request: number }
  | { type: 'answered'; request: number; results: readonly SearchHit[]; nextCursor: string | null }
  | { type: 'failed'; request: number; error: string }
  | { type: 'cleared' };

/** `existing` then the hits of `page` not already there (a message is found once). */
function appendHits(existing: readonly SearchHit[], page: readonly SearchHit[]): SearchHit[] {
  const seen = new Set(existing.map((hit) => hit.message.id));
  return [...existing, ...page.filter((hit) => !seen.has(hit.message.id) && seen.add(hit.message.id))];
}

export function messageSearchReducer(state: MessageSearch, action: MessageSearchAction): MessageSearch {
  switch (action.type) {
    case 'asked':
      return {
        ...noMessageSearch,
        query: action.query,
        order: action.order,
        status: 'loading',
        request: action.request,
      };
    case 'moreAsked':
      if (state.status !== 'ready' || state.nextCursor === null) return state;
      return { ...state, more: 'loading', moreError: null, request: action.request };
    case 'answered': {
      if (action.request !== state.request) return state;
      const next = { ...state, nextCursor: action.nextCursor, more: 'idle', moreError: null } as const;
      if (state.more === 'loading') return { ...next, results: appendHits(state.results, action.results) };
      return { ...next, status: 'ready', error: null, results: appendHits([], action.results) };
    }
    case 'failed':
      if (action.request !== state.request) return state;
      if (state.more === 'loading') return { ...state, more: 'failed', moreError: action.error };
      return { ...state, status: 'failed', error: action.error, results: [], nextCursor: null };
    case 'cleared':
      return { ...noMessageSearch, order: state.order, request: state.request };
  }
}

/** Why `text` cannot be searched for (blank, or longer than the server takes), or null if it can. */
export function searchProblem(text: string): 'empty' | 'too-long' | null {
  const words = text.trim();
  if (words === '') return 'empty';
  return [...words].length > MAX_SEARCH_CHARS ? 'too-long' : null;
}

/** Whether `query` in `order` is already searched (or being searched): no need to ask again. */
export function isAsked(state: MessageSearch, query: string, order: SearchOrder): boolean {
  return state.query === query && state.order === order && (state.status === 'loading' || state.status === 'ready');
}
