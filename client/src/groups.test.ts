import { describe, expect, it } from 'vitest';

import type { ChatDetails, Person } from './api';
import {
  type GroupEvent,
  type Groups,
  type GroupsAction,
  JOURNAL_MAX,
  groupsReducer,
  membersOf,
  noGroups,
  noPeople,
  noticeText,
  rememberPeople,
} from './groups';
import { i18n } from './i18n';

const ME = 1;
const ivan: Person = { id: 2, name: 'Иван Петров', role: 'teacher' };
const maria: Person = { id: 3, name: 'Мария Иванова', role: 'student' };
const alex: Person = { id: 4, name: 'Alex Kim', role: 'student' };
const CHAT = 20;

/** The group with these members, as `GET /api/chats/20` answers. */
function details(members: Person[], title = 'Алгебра'): ChatDetails {
  return {
    id: CHAT,
    kind: 'group',
    title,
    context: null,
    subjects: [],
    children: [],
    created_by: ivan.id,
    updated_at: '2025-01-17T15:00:00Z',
    participants_count: members.length,
    guardians_read: false,
    announcement: false,
    teacher_departed: false,
    audience: null,
    recipients: null,
    closed_at: null,
    created_at: '2025-01-17T14:00:00Z',
    participants: members.map((m) => ({ ...m, online: false, last_seen: null, joined_at: '2025-01-17T14:00:00Z' })),
  };
}

const run = (actions: GroupsAction[], start: Groups = noGroups) => actions.reduce(groupsReducer, start);
const loaded = (members: Person[], after: number | null, title?: string): GroupsAction => ({
  type: 'loaded',
  details: details(members, title),
  after,
});
const event = (e: GroupEvent): GroupsAction => ({ type: 'event', chatId: CHAT, event: e });
const add = (user: Person, position: number) => event({ type: 'added', position, user });
const remove = (userId: number, position: number) => event({ type: 'removed', position, userId });
const names = (state: Groups) => membersOf(state, CHAT)?.map((m) => m.name) ?? null;

describe('group members', () => {
  it('loads the members in the order they joined, and knows nothing before', () => {
    expect(membersOf(noGroups, CHAT)).toBeNull();
    const state = run([loaded([ivan, maria], 10)]);
    expect(membersOf(state, CHAT)).toEqual([
      { ...ivan, joinedAt: '2025-01-17T14:00:00Z' },
      { ...maria, joinedAt: '2025-01-17T14:00:00Z' },
    ]);
    expect(state[CHAT]?.details).toMatchObject({ title: 'Алгебра', createdBy: ivan.id, kind: 'group' });
  });

  it('follows additions, removals and a new title, each event once', () => {
    const state = run([
      loaded([ivan, maria], 10),
      add(alex, 11),
      add(alex, 11),
      remove(maria.id, 12),
      event({ type: 'renamed', position: 13, title: 'Алгебра, 9 класс' }),
    ]);
    expect(names(state)).toEqual(['Иван Петров', 'Alex Kim']);
    expect(state[CHAT]?.details?.title).toBe('Алгебра, 9 класс');
    expect(membersOf(state, CHAT)?.find((m) => m.id === alex.id)?.joinedAt).toBeNull();
  });

  it('brings a snapshot requested before an event up to date with it (it arrived while the snapshot was in flight)', () => {
    // Maria is removed at 12; the snapshot was asked for at 11 and still shows her.
    const state = run([remove(maria.id, 12), loaded([ivan, maria], 11)]);
    expect(names(state)).toEqual(['Иван Петров']);
    // Asked for after it (at 12): it shows the removal, and applying it again changes nothing.
    expect(names(run([remove(maria.id, 12), loaded([ivan], 12)]))).toEqual(['Иван Петров']);
  });

  it('lets the last event about a member decide, whatever the snapshot saw of the earlier ones', () => {
    // Removed at 12, added again at 14; the snapshot (asked at 11) was read at 13: without her.
    const state = run([remove(maria.id, 12), add(maria, 14), loaded([ivan], 11)]);
    expect(names(state)).toEqual(['Иван Петров', 'Мария Иванова']);
    // Added at 12, removed at 14; the snapshot was read between them: with her.
    const gone = run([add(alex, 12), remove(alex.id, 14), loaded([ivan, alex], 11)]);
    expect(names(gone)).toEqual(['Иван Петров']);
    // A title renamed twice: the newer one, even if the snapshot saw only the first.
    const titled = run([
      event({ type: 'renamed', position: 12, title: 'Первое' }),
      event({ type: 'renamed', position: 14, title: 'Второе' }),
      loaded([ivan], 11, 'Первое'),
    ]);
    expect(titled[CHAT]?.details?.title).toBe('Второе');
  });

  it('keeps a bounded journal of the newest events', () => {
    const many = Array.from({ length: JOURNAL_MAX + 20 }, (_, i) => add({ ...alex, id: 100 + i }, 100 + i));
    const state = run(many);
    expect(state[CHAT]?.journal).toHaveLength(JOURNAL_MAX);
    expect(state[CHAT]?.journal[0]?.position).toBe(120);
  });
});

describe('people met', () => {
  it('remembers names by id, keeps a known role, and changes nothing when nothing is new', () => {
    const once = rememberPeople(noPeople, [ivan, { id: maria.id, name: maria.name }]);
    expect(once.get(ivan.id)).toEqual(ivan);
    expect(once.get(maria.id)).toEqual({ id: maria.id, name: 'Мария Иванова' });
    const withRole = rememberPeople(once, [maria]);
    expect(withRole.get(maria.id)).toEqual(maria);
    // Her name seen again without a role keeps the role.
    expect(rememberPeople(withRole, [{ id: maria.id, name: maria.name }])).toBe(withRole);
    expect(rememberPeople(withRole, [ivan, maria])).toBe(withRole);
    expect(rememberPeople(withRole, [{ ...maria, name: 'Мария Петрова' }]).get(maria.id)?.name).toBe('Мария Петрова');
  });
});

describe('system lines', () => {
  const known = new Map<number, string>([
    [ME, 'Ольга'],
    [ivan.id, ivan.name],
    [maria.id, maria.name],
  ]);
  const name = (id: number) => known.get(id) ?? null;
  const line = (
    kind: 'added' | 'removed' | 'renamed',
    userId: number | null,
    actorId: number | null,
    language: 'en' | 'ru' = 'en',
    title: string | null = null,
  ) => noticeText({ kind, userId, actorId, title }, name, ME, i18n.getFixedT(language));

  it('says who added, removed or renamed, in English', () => {
    expect(line('added', maria.id, ivan.id)).toBe('Иван Петров added Мария Иванова');
    expect(line('added', ivan.id, ivan.id)).toBe('Иван Петров joined the group');
    expect(line('removed', maria.id, ivan.id)).toBe('Иван Петров removed Мария Иванова');
    expect(line('removed', maria.id, maria.id)).toBe('Мария Иванова left the group');
    expect(line('renamed', null, ivan.id, 'en', 'Алгебра')).toBe('Иван Петров renamed the group to “Алгебра”');
  });

  it('tells us that we left or were removed', () => {
    expect(line('removed', ME, ME)).toBe('You left the group');
    expect(line('removed', ME, ivan.id)).toBe('You were removed from the group');
    expect(line('removed', ME, ME, 'ru')).toBe('Вы вышли из группы');
    expect(line('removed', ME, ivan.id, 'ru')).toBe('Вас удалили из группы');
  });

  it('says what happened without who did it when the actor is unknown (an admin, say)', () => {
    expect(line('added', maria.id, 99)).toBe('Мария Иванова was added to the group');
    expect(line('removed', maria.id, null)).toBe('Мария Иванова is no longer in the group');
    expect(line('renamed', null, 99, 'en', 'Алгебра')).toBe('The group is now called “Алгебра”');
    // Someone we cannot name at all.
    expect(line('added', 42, ivan.id)).toBe('Иван Петров added User 42');
  });

  it('speaks Russian', () => {
    expect(line('added', maria.id, ivan.id, 'ru')).toBe('Иван Петров добавил(а) в группу: Мария Иванова');
    expect(line('removed', maria.id, maria.id, 'ru')).toBe('Мария Иванова покинул(а) группу');
    expect(line('renamed', null, ivan.id, 'ru', 'Алгебра')).toBe('Иван Петров переименовал(а) группу в «Алгебра»');
    expect(line('added', 42, null, 'ru')).toBe('В группе новый участник: Пользователь 42');
  });
});
