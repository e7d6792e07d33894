// The inbox's shape, as pure functions: chats grouped into sections by what they are about
// (their `context`'s title, e.g. a course), and the search box's filter.
//
// Sections keep the list's order (most recent activity first) inside, and come in the order of
// their most recent chat; chats without a context have a section of their own. When no chat
// has a context there is one untitled section: the plain list. A context with a title but no
// id (an inquiry link's course, `{"type": "course", "title": …}`) joins the section of a
// context with an id and the same title (in any case), if there is one. A direct chat is about
// its pair's most recent lesson's subject (`subjects[0]`): it joins the section of a context of
// that title (a course "Алгебра" and the lessons of Алгебра are one section), else one of its own.
//
// A row says what a chat is: an inquiry shows its title, a "guest" badge when its other
// participant is a guest, and the names of its people.
//
// A guardian's chats are grouped by child instead (`groupByWard`): one section per student
// linked to them, its teachers' chats under it.
//
// Search matches a chat's title (a group's) or its people's names (the partner of a direct
// chat; admins: every member), ignoring case (Cyrillic too), and ё against е, as people type
// either.

import type { TFunction } from 'i18next';

import type { ChatContext, Person } from './api';
import { chatName, chatTitle, isClosed, peopleNames } from './chats/items';
import type { ChatItem } from './chats/model';

export interface Section {
  /** Stable across renders: what the collapsed state is remembered by. */
  key: string;
  /** The context's title; null for the chats without one. */
  title: string | null;
  items: ChatItem[];
}

/** The key of the section of chats without a context. */
export const NO_CONTEXT = 'none';
/** A guardian's own chats with their children's teachers (family chats), in a section of their own. */
export const FAMILY_SECTION = 'family';
/** The announcements that reach a guardian (to families), "from the school", in one more. */
export const SCHOOL_SECTION = 'school';

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

/** What a chat is about for its section: its context, else its most recent lesson's subject. */
export function sectionContext(item: Pick<ChatItem, 'context' | 'subjects'>): ChatContext | null {
  if (item.context !== null || item.subjects.length === 0) return item.context;
  return { title: item.subjects[0] };
}

/** `items` in sections by context, in the order described above. */
export function groupByContext(items: readonly ChatItem[]): Section[] {
  if (!items.some((item) => contextTitle(sectionContext(item)) !== null)) {
    return [{ key: NO_CONTEXT, title: null, items: [...items] }];
  }
  // The titles of the contexts with an id: what a context of the same title without one joins.
  const byTitle = new Map<string, { key: string; title: string }>();
  for (const item of items) {
    const key = contextKey(sectionContext(item));
    const title = contextTitle(sectionContext(item));
    if (title !== null && !key.startsWith('title:') && !byTitle.has(searchForm(title))) {
      byTitle.set(searchForm(title), { key, title });
    }
  }
  const sections = new Map<string, Section>();
  for (const item of items) {
    let key = contextKey(sectionContext(item));
    let title = key === NO_CONTEXT ? null : contextTitle(sectionContext(item));
    const joined = key.startsWith('title:') && title !== null ? byTitle.get(searchForm(title)) : undefined;
    if (joined) ({ key, title } = joined);
    let section = sections.get(key);
    if (!section) {
      section = { key, title, items: [] };
      sections.set(key, section);
    }
    section.items.push(item);
  }
  return [...sections.values()];
}

/** The key of a guardian's section of one child's chats. */
export const wardKey = (ward: Person): string => `ward:${ward.id}`;

/**
 * A guardian's chats in sections by child (titled with the child's name), in the order of each
 * child's most recent chat; a chat without a child (none is sent to guardians) in its own.
 */
export function groupByWard(items: readonly ChatItem[]): Section[] {
  const sections = new Map<string, Section>();
  for (const item of items) {
    const own = item.kind === 'family' ? FAMILY_SECTION : item.announcement ? SCHOOL_SECTION : NO_CONTEXT;
    const key = item.ward ? wardKey(item.ward) : own;
    let section = sections.get(key);
    if (!section) {
      section = { key, title: item.ward?.name ?? null, items: [] };
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
  const names = [chatName(item) ?? '', ...item.people.map((p) => p.name), item.ward?.name ?? ''];
  return names.some((name) => searchForm(name).includes(wanted));
}

/** The chats that match `query`, in their order. */
export function filterChats(items: readonly ChatItem[], query: string): ChatItem[] {
  return items.filter((item) => matchesSearch(item, query));
}

/** What a chat list row shows of a chat besides its messages. */
export interface RowInfo {
  title: string;
  /** A badge beside the title: `guest` for an inquiry of a guest. */
  badge: 'guest' | null;
  /** An inquiry's people, named under its title (the guest's name; for admins both). */
  who: string | null;
  closed: boolean;
}

/** `t`: the words of a chat without a name ("Chat 12"). */
export function rowInfo(item: ChatItem, t: TFunction): RowInfo {
  const inquiry = item.kind === 'inquiry';
  return {
    title: chatTitle(item, t),
    badge: inquiry && item.people.some((p) => p.role === 'guest') ? 'guest' : null,
    who: inquiry ? peopleNames(item) || null : null,
    closed: isClosed(item),
  };
}
