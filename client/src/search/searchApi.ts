// Message search (`GET /api/search`), through api.ts's `request`: the words of messages the
// caller may read (admins: every chat), best matches or newest first, a page at a time. Each
// result is a message as its chat's history shows it, with a snippet: the text around the
// matches as parts, the matched words marked (plain text: rendered as text, never as HTML).

import { freshness, request } from '../api';
import type { components } from '../generated/api';

type Schemas = components['schemas'];

export type SearchResults = Schemas['SearchResults'];
/** One message found: its chat, the message, and the snippet. */
export type SearchHit = Schemas['SearchResult'];
/** A part of a snippet: `highlight` for the matched words. */
export type SnippetPart = Schemas['SnippetPart'];
/** `relevance` (best matches first) or `recent` (newest first). */
export type SearchOrder = Schemas['SearchOrder'];

export const SEARCH_ORDERS: readonly SearchOrder[] = ['relevance', 'recent'];

/** The server takes 1–200 characters of search text (after trimming). */
export const MAX_SEARCH_CHARS = 200;

/** Results per page (the server takes 1–50). */
export const SEARCH_PAGE_SIZE = 20;

export interface SearchQuery {
  /** The words, already trimmed, 1–200 characters. */
  q: string;
  order: SearchOrder;
  /** The previous page's `next_cursor` (same words and order). */
  before?: string | null;
  /** Only this chat's messages. */
  chatId?: number | null;
}

/** The query string of a search. */
export function searchParams(query: SearchQuery): URLSearchParams {
  const params = new URLSearchParams({ q: query.q, order: query.order, limit: String(SEARCH_PAGE_SIZE) });
  if (query.before) params.set('before', query.before);
  if (query.chatId != null) params.set('chat_id', String(query.chatId));
  return params;
}

/** A page of the messages matching `query`; `signal` cancels it (rejects with an `AbortError`). */
export async function searchMessages(query: SearchQuery, signal?: AbortSignal): Promise<SearchResults> {
  const { data } = await request<SearchResults>('GET', `/api/search?${searchParams(query)}`, undefined, freshness(), signal);
  return { results: data.results ?? [], next_cursor: data.next_cursor ?? null };
}

/** Whether `error` is the rejection of a request that was cancelled (nothing to show). */
export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
