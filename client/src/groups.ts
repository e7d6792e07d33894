// Groups as this tab knows them, as pure functions: the members of each group it opened
// (`GET /api/chats/{id}`), kept current by the membership and title events; the names of
// everyone it has met; and how a system line of a group reads.
//
// A group's snapshot carries no log position, so an event may arrive while it is in flight and
// the snapshot may or may not show it. Each group keeps a journal of its events, and a snapshot
// requested after position `after` (the newest event this tab had handled when it asked: every
// event up to it was committed before the request, so the snapshot shows it) is brought up to
// date by applying again, in log order, the journal's events after `after`. Adding, removing and
// renaming set a value, so applying an event the snapshot already shows changes nothing, and
// the last event about a member (or the title) decides, as it did on the server.
//
// Names: a group's history names no senders and a former member is in no member list, so the
// names seen anywhere this session (members, `participant_added`, partners, senders of last
// messages) are remembered by id (`rememberPeople`).

import type { TFunction } from 'i18next';

import type { ChatContext, ChatDetails, ChatKind, Person, Role } from './api';
import type { Notice } from './conversation/model';

/** Longest title of a group or an inquiry link, in code points (as the server counts). */
export const MAX_TITLE_CHARS = 200;

export interface GroupMember extends Person {
  /** When they joined (null when we saw them join live). */
  joinedAt: string | null;
}

export interface GroupDetails {
  id: number;
  kind: ChatKind;
  title: string | null;
  context: ChatContext | null;
  /** The owner (its creator). */
  createdBy: number | null;
  /** An announcement: only the owner posts. */
  announcement?: boolean;
  /** The current members, in the order they joined. */
  members: GroupMember[];
}

/** A membership or title event of one group. */
export type GroupEvent =
  | { type: 'added'; position: number; user: Person }
  | { type: 'removed'; position: number; userId: number }
  | { type: 'renamed'; position: number; title: string };

export interface GroupEntry {
  /** The members as last known; null until the first snapshot arrives. */
  details: GroupDetails | null;
  /** The newest events of this group, ascending by position (at most JOURNAL_MAX). */
  journal: GroupEvent[];
}

export type Groups = Readonly<Record<number, GroupEntry>>;

export type GroupsAction =
  /** A snapshot of the group, requested when this tab had handled the log up to `after` (null: unknown). */
  | { type: 'loaded'; details: ChatDetails; after: number | null }
  | { type: 'event'; chatId: number; event: GroupEvent };

export const noGroups: Groups = {};

/** Events kept per group, to apply again on top of a snapshot that was in flight meanwhile. */
export const JOURNAL_MAX = 200;

export function fromDetails(details: ChatDetails): GroupDetails {
  return {
    id: details.id,
    kind: details.kind,
    title: details.title ?? null,
    context: details.context ?? null,
    createdBy: details.created_by ?? null,
    announcement: details.announcement ?? false,
    members: details.participants.map(({ id, name, role, joined_at: joinedAt }) => ({ id, name, role, joinedAt })),
  };
}

function applyEvent(details: GroupDetails, event: GroupEvent): GroupDetails {
  switch (event.type) {
    case 'added': {
      if (details.members.some((m) => m.id === event.user.id)) return details;
      const { id, name, role } = event.user;
      return { ...details, members: [...details.members, { id, name, role, joinedAt: null }] };
    }
    case 'removed':
      if (!details.members.some((m) => m.id === event.userId)) return details;
      return { ...details, members: details.members.filter((m) => m.id !== event.userId) };
    case 'renamed':
      return details.title === event.title ? details : { ...details, title: event.title };
  }
}

export function groupsReducer(state: Groups, action: GroupsAction): Groups {
  switch (action.type) {
    case 'loaded': {
      const { details, after } = action;
      const journal = state[details.id]?.journal ?? [];
      const since = journal.filter((e) => after === null || e.position > after);
      return { ...state, [details.id]: { details: since.reduce(applyEvent, fromDetails(details)), journal } };
    }
    case 'event': {
      const entry = state[action.chatId] ?? { details: null, journal: [] };
      if (entry.journal.some((e) => e.position === action.event.position)) return state; // seen
      const journal = [...entry.journal, action.event].sort((a, b) => a.position - b.position).slice(-JOURNAL_MAX);
      const details = entry.details && applyEvent(entry.details, action.event);
      return { ...state, [action.chatId]: { details, journal } };
    }
  }
}

/** The members of group `chatId` as known, or null before its first snapshot. */
export function membersOf(state: Groups, chatId: number): GroupMember[] | null {
  return state[chatId]?.details?.members ?? null;
}

/** Someone whose name we know; their role too, unless we only saw their name (a last message's sender). */
export type KnownPerson = Pick<Person, 'id' | 'name'> & { role?: Role };

/** Everyone met this session, by id. */
export type People = ReadonlyMap<number, KnownPerson>;

export const noPeople: People = new Map();

/** `known` with `people` added or updated (a role once known is kept); `known` itself when nothing is new. */
export function rememberPeople(known: People, people: readonly KnownPerson[]): People {
  let next: Map<number, KnownPerson> | null = null;
  for (const { id, name, role } of people) {
    const seen = (next ?? known).get(id);
    const kept = role ?? seen?.role;
    const updated: KnownPerson = kept ? { id, name, role: kept } : { id, name };
    if (seen && seen.name === updated.name && seen.role === updated.role) continue;
    next ??= new Map(known);
    next.set(id, updated);
  }
  return next ?? known;
}

/**
 * What a group's system line says, in the words of `t`: "Иван Петров added Мария Иванова", "Мария
 * Иванова left the group", "You were removed from the group"… `name` gives a person's name if
 * known; without the actor's, the line says what happened without saying who did it.
 */
export function noticeText(
  notice: Pick<Notice, 'kind' | 'userId' | 'actorId' | 'title'>,
  name: (userId: number) => string | null,
  me: number,
  t: TFunction,
): string {
  const who = (id: number) => name(id) ?? t('conversation.unknownUser', { id });
  const actor = notice.actorId === null ? null : name(notice.actorId);
  const self = notice.actorId !== null && notice.actorId === notice.userId;
  switch (notice.kind) {
    case 'added': {
      if (notice.userId === null) return '';
      const user = who(notice.userId);
      if (self) return t('notices.joined', { name: user });
      return actor ? t('notices.added', { actor, name: user }) : t('notices.addedPassive', { name: user });
    }
    case 'removed': {
      if (notice.userId === null) return '';
      if (notice.userId === me) return t(notice.actorId === me ? 'notices.youLeft' : 'notices.youWereRemoved');
      const user = who(notice.userId);
      if (self) return t('notices.left', { name: user });
      return actor ? t('notices.removed', { actor, name: user }) : t('notices.removedPassive', { name: user });
    }
    case 'renamed': {
      const title = notice.title ?? '';
      return actor ? t('notices.renamed', { actor, title }) : t('notices.renamedPassive', { title });
    }
  }
}
