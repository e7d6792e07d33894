// The inbox's shape, as pure functions: chats grouped into sections by what they are about
// (their `context`'s title, e.g. a course), and the search box's filter.
//
// Sections keep the list's order (most recent activity first) inside, and come in the order of
// their most recent chat; chats without a context have a section of their own. When no chat
// has a context there is one untitled section: the plain list.
//
// Search matches a chat's title (a group's) or its people's names (the partner of a direct
// chat; admins: every member), ignoring case (Cyrillic too), and ё against е, as people type
// either.

import type { ChatContext } from './api';
import { type ChatItem, chatTitle } from './chats';

export interface Section {
  /** Stable across renders: what the collapsed state is remembered by. */
  key: string;
  /** The context's title; null for the chats without one. */
  title: string | null;
  items: ChatItem[];
}

/** The key of the section of chats without a context. */
export const NO_CONTEXT = 'none';

/** A context's title, if it has a non-blank one. */
export function contextTitle(context: ChatContext | null): string | null {
  const title = context?.title;
  return typeof title === 'string' && title.trim() !== '' ? title.trim() : null;
}

/** What identifies a context: its type and id when it has them, else its title. */
export function contextKey(context: ChatContext | null): string {
  const title = contextTitle(context);
  if (context === null || title === null) return NO_CONTEXT;
  const { type, id } = context;
  if (typeof type === 'string' && (typeof id === 'number' || typeof id === 'string')) return `${type}:${id}`;
  return `title:${title}`;
}

/** `items` in sections by context, in the order described above. */
export function groupByContext(items: readonly ChatItem[]): Section[] {
  if (!items.some((item) => contextTitle(item.context) !== null)) {
    return [{ key: NO_CONTEXT, title: null, items: [...items] }];
  }
  const sections = new Map<string, Section>();
  for (const item of items) {
    const key = contextKey(item.context);
    let section = sections.get(key);
    if (!section) {
      section = { key, title: key === NO_CONTEXT ? null : contextTitle(item.context), items: [] };
      sections.set(key, section);
    }
    section.items.push(item);
  }
  return [...sections.values()];
}

/** Text as search compares it: lower case, NFC, ё as е, spaces trimmed and single. */
export function searchForm(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase('ru').replace(/ё/g, 'е').replace(/\s+/g, ' ').trim();
}

/** Whether `item` matches the search `query` (a blank query matches everything). */
export function matchesSearch(item: ChatItem, query: string): boolean {
  const wanted = searchForm(query);
  if (wanted === '') return true;
  const names = [chatTitle(item), ...item.people.map((p) => p.name)];
  return names.some((name) => searchForm(name).includes(wanted));
}

/** The chats that match `query`, in their order. */
export function filterChats(items: readonly ChatItem[], query: string): ChatItem[] {
  return items.filter((item) => matchesSearch(item, query));
}
