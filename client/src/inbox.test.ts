import { describe, expect, it } from 'vitest';

import type { ChatContext, Person } from './api';
import type { ChatItem } from './chats/model';
import {
  NO_CONTEXT,
  contextKey,
  contextTitle,
  filterChats,
  groupByContext,
  groupByWard,
  matchesSearch,
  rowInfo,
  searchForm,
} from './inbox';
import { familyEnded } from './chats/items';
import { i18n } from './i18n';

const en = i18n.getFixedT('en');

const maria: Person = { id: 3, name: 'Мария Иванова', role: 'student' };
const alex: Person = { id: 4, name: 'Alex Kim', role: 'student' };
const fyodor: Person = { id: 5, name: 'Фёдор Ёлкин', role: 'student' };

const ege: ChatContext = { type: 'course', id: 12, title: 'ЕГЭ математика' };
const english: ChatContext = { type: 'course', id: 7, title: 'English B2' };

function chat(id: number, options: Partial<ChatItem> = {}): ChatItem {
  return {
    id,
    kind: 'direct',
    title: null,
    context: null,
    subjects: [],
    children: [],
    createdBy: null,
    people: [],
    participantsCount: 2,
    lastMessage: null,
    lastActivityAt: null,
    unread: 0,
    lastReadId: 0,
    unreadStale: false,
    messagesCount: null,
    membership: 'member',
    closedAt: null,
    guardiansRead: false,
    ward: null,
    muted: false,
    archived: false,
    wardOnly: false,
    position: 0,
    ...options,
  };
}
const group = (id: number, title: string, context: ChatContext | null = null) =>
  chat(id, { kind: 'group', title, context, participantsCount: 5 });

const ids = (items: ChatItem[]) => items.map((i) => i.id);

describe('sections by context', () => {
  it('is one untitled section, the list as it is, when no chat has a context', () => {
    const items = [chat(1, { people: [maria] }), group(2, 'Алгебра'), chat(3, { people: [alex] })];
    const sections = groupByContext(items);
    expect(sections).toHaveLength(1);
    expect(sections[0]).toMatchObject({ key: NO_CONTEXT, title: null });
    expect(ids(sections[0]!.items)).toEqual([1, 2, 3]);
    expect(groupByContext([])).toEqual([{ key: NO_CONTEXT, title: null, items: [] }]);
  });

  it('groups by context in the order of each section’s most recent chat, keeping the order inside', () => {
    // The list is most recent first.
    const items = [
      group(1, 'Алгебра', ege),
      chat(2, { people: [maria] }),
      group(3, 'Speaking club', english),
      group(4, 'Геометрия', { ...ege }), // the same course, another object
      chat(5, { people: [alex] }),
      group(6, 'Writing', english),
    ];
    const sections = groupByContext(items);
    expect(sections.map((s) => [s.key, s.title, ids(s.items)])).toEqual([
      ['course:12', 'ЕГЭ математика', [1, 4]],
      [NO_CONTEXT, null, [2, 5]],
      ['course:7', 'English B2', [3, 6]],
    ]);
  });

  it('identifies a context by its type and id, else by its title; a blank title is no context', () => {
    expect(contextKey({ type: 'course', id: 12, title: 'A' })).toBe('course:12');
    expect(contextKey({ title: ' Кружок ' })).toBe('title:Кружок');
    expect(contextKey({ type: 'course', id: 12 })).toBe(NO_CONTEXT);
    expect(contextKey(null)).toBe(NO_CONTEXT);
    expect(contextTitle({ title: '   ' })).toBeNull();
    expect(contextTitle({ title: 42 })).toBeNull();
    const sections = groupByContext([group(1, 'A', { title: '  ' }), group(2, 'B', { title: 'Кружок' })]);
    expect(sections.map((s) => s.title)).toEqual([null, 'Кружок']);
  });

  it('puts a direct chat under its most recent lesson’s subject, with a course of that title', () => {
    const items = [
      chat(1, { people: [maria], subjects: ['Физика', 'ЕГЭ математика'] }),
      chat(2, { people: [alex], subjects: ['егэ МАТЕМАТИКА'] }),
      group(3, 'Алгебра', ege),
      chat(4, { people: [fyodor] }),
      chat(5, { people: [alex], subjects: ['Физика'] }),
    ];
    const sections = groupByContext(items);
    expect(sections.map((s) => [s.key, s.title, ids(s.items)])).toEqual([
      ['title:Физика', 'Физика', [1, 5]],
      ['course:12', 'ЕГЭ математика', [2, 3]],
      [NO_CONTEXT, null, [4]],
    ]);
  });
});

describe('search', () => {
  const items = [
    chat(1, { people: [maria] }),
    group(2, 'ЕГЭ математика, 11 класс', ege),
    chat(3, { people: [alex] }),
    chat(4, { people: [fyodor] }),
    // An admin's view of a direct chat: both people.
    chat(5, { people: [maria, { id: 2, name: 'Иван Петров', role: 'teacher' }], messagesCount: 3 }),
  ];

  it('matches a partner’s name or a group’s title, ignoring case, Cyrillic included', () => {
    expect(ids(filterChats(items, 'мария'))).toEqual([1, 5]);
    expect(ids(filterChats(items, 'МАРИЯ ИВАНОВА'))).toEqual([1, 5]);
    expect(ids(filterChats(items, 'егэ'))).toEqual([2]);
    expect(ids(filterChats(items, 'Математика'))).toEqual([2]);
    expect(ids(filterChats(items, 'alex'))).toEqual([3]);
    expect(ids(filterChats(items, 'иван п'))).toEqual([5]);
  });

  it('takes ё and е for the same letter, and extra spaces for one', () => {
    expect(ids(filterChats(items, 'федор'))).toEqual([4]);
    expect(ids(filterChats(items, 'ЕЛКИН'))).toEqual([4]);
    expect(ids(filterChats(items, '  мария   иванова '))).toEqual([1, 5]);
    expect(searchForm(' Фёдор  ЁЛКИН ')).toBe('федор елкин');
  });

  it('matches everything for a blank query, and nothing for a name nobody has', () => {
    expect(ids(filterChats(items, '   '))).toEqual([1, 2, 3, 4, 5]);
    expect(filterChats(items, 'Ольга')).toEqual([]);
    // ё in the query as е: Пётр finds Петров.
    expect(ids(filterChats(items, 'Пётр'))).toEqual([5]);
    expect(matchesSearch(items[0]!, 'анна')).toBe(false);
  });

  it('keeps sections of what matches', () => {
    const sections = groupByContext(filterChats(items, 'мат'));
    expect(sections.map((s) => [s.title, ids(s.items)])).toEqual([['ЕГЭ математика', [2]]]);
  });
});

describe('inquiries in the inbox', () => {
  const guest: Person = { id: 40, name: 'Ольга Смирнова', role: 'guest' };
  const ivan: Person = { id: 2, name: 'Иван Петров', role: 'teacher' };
  const inquiry = (id: number, options: Partial<ChatItem> = {}) =>
    chat(id, { kind: 'inquiry', title: 'Пробный урок', people: [guest], context: { type: 'course', title: 'ЕГЭ математика' }, ...options });

  it("shows an inquiry's title, a guest badge and the guest's name", () => {
    expect(rowInfo(inquiry(30), en)).toEqual({ title: 'Пробный урок', badge: 'guest', who: 'Ольга Смирнова', closed: false });
    // Admins: both of its people.
    expect(rowInfo(inquiry(30, { people: [ivan, guest] }), en)).toMatchObject({ badge: 'guest', who: 'Иван Петров · Ольга Смирнова' });
    // The guest's own view names the teacher, without a badge.
    expect(rowInfo(inquiry(30, { people: [ivan] }), en)).toMatchObject({ badge: null, who: 'Иван Петров' });
    expect(rowInfo(inquiry(30, { closedAt: '2025-01-20T15:00:00Z' }), en).closed).toBe(true);
    // Direct chats and groups as before.
    expect(rowInfo(chat(1, { people: [maria] }), en)).toEqual({ title: 'Мария Иванова', badge: null, who: null, closed: false });
    expect(rowInfo(group(2, 'Алгебра'), en)).toMatchObject({ title: 'Алгебра', badge: null, who: null });
  });

  it("puts an inquiry about a course in that course's section, whatever the case of its title", () => {
    const items = [
      inquiry(30, { context: { type: 'course', title: 'егэ МАТЕМАТИКА' } }),
      group(20, 'Пробный ЕГЭ', ege),
      chat(1, { people: [maria] }),
      inquiry(31, { context: { type: 'course', title: 'Физика' } }),
      inquiry(32, { context: null }),
    ];
    const sections = groupByContext(items);
    expect(sections.map((s) => s.key)).toEqual(['course:12', NO_CONTEXT, 'title:Физика']);
    expect(ids(sections[0]!.items)).toEqual([30, 20]);
    expect(sections[0]!.title).toBe('ЕГЭ математика'); // the course's own title
    expect(ids(sections[1]!.items)).toEqual([1, 32]);
    // Without a course of that title, inquiries of one course title share a section.
    const alone = groupByContext([inquiry(30), inquiry(31), chat(1)]);
    expect(alone.map((s) => [s.key, ids(s.items)])).toEqual([
      ['title:ЕГЭ математика', [30, 31]],
      [NO_CONTEXT, [1]],
    ]);
  });

  it("finds an inquiry by its title or the guest's name", () => {
    expect(matchesSearch(inquiry(30), 'пробный')).toBe(true);
    expect(matchesSearch(inquiry(30), 'ОЛЬГА')).toBe(true);
    expect(matchesSearch(inquiry(30), 'Иван')).toBe(false);
  });
});

describe("a guardian's inbox", () => {
  const ivan: Person = { id: 2, name: 'Иван Петров', role: 'teacher' };
  const olga: Person = { id: 6, name: 'Ольга Смирнова', role: 'teacher' };
  const ofChild = (id: number, ward: Person, teacher: Person) => chat(id, { ward, people: [teacher] });

  it("groups the chats by child, each child's section where its most recent chat is", () => {
    const sections = groupByWard([ofChild(1, maria, ivan), ofChild(2, alex, ivan), ofChild(3, maria, olga)]);
    expect(sections.map((s) => [s.key, s.title, ids(s.items)])).toEqual([
      ['ward:3', 'Мария Иванова', [1, 3]],
      ['ward:4', 'Alex Kim', [2]],
    ]);
  });

  it("puts the guardian's own chats with teachers in a section of their own", () => {
    const family = chat(4, { kind: 'family', people: [ivan], children: ['Мария Иванова'] });
    const sections = groupByWard([ofChild(1, maria, ivan), family, ofChild(2, alex, olga)]);
    expect(sections.map((s) => [s.key, s.title, ids(s.items)])).toEqual([
      ['ward:3', 'Мария Иванова', [1]],
      ['family', null, [4]],
      ['ward:4', 'Alex Kim', [2]],
    ]);
    expect(familyEnded(family)).toBe(false);
    expect(familyEnded({ ...family, children: [] })).toBe(true);
    expect(familyEnded(ofChild(1, maria, ivan))).toBe(false);
  });

  it('puts the announcements that reach them "from the school", in one more', () => {
    const news = chat(5, { kind: 'group', announcement: true, title: 'Родителям · Иван Петров' });
    const family = chat(4, { kind: 'family', people: [ivan], children: ['Мария Иванова'] });
    const sections = groupByWard([news, ofChild(1, maria, ivan), family]);
    expect(sections.map((s) => [s.key, ids(s.items)])).toEqual([
      ['school', [5]],
      ['ward:3', [1]],
      ['family', [4]],
    ]);
  });

  it("finds a chat by its child's name as well as by its teacher's", () => {
    expect(matchesSearch(ofChild(1, maria, ivan), 'мария')).toBe(true);
    expect(matchesSearch(ofChild(1, maria, ivan), 'петров')).toBe(true);
    expect(matchesSearch(ofChild(1, maria, ivan), 'alex')).toBe(false);
  });
});
