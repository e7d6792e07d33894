// An admin's moderation view as a pure reducer: the open flags (the system's reports, without a
// reporter, which a moderator looks at first) and the open reports of people (both always
// loaded for admins: they count for the header's badge), every report and flag (once asked
// for), and the people found by a search. The stream keeps them current (dispatch.ts): a new
// report or flag goes on top of its open list and of the list of all; hiding a message
// resolves its reports and flags, so they leave the open lists (and the list of all says so),
// as clearing one does; unhiding, purging and deleting it show on its rows.
//
// Reports are listed newest first (their ids grow with time) a page at a time: a later page is
// merged by id (none twice), and a first page loaded anew keeps the reports the stream brought
// while it was on its way (newer than its newest).

import type { TFunction } from 'i18next';

import type { AdminUser, Hidden, Purged, ReportView, Suspension } from '../api';
import type { ReportFilter } from './moderationApi';

export interface ReportList {
  status: 'loading' | 'ready' | 'failed';
  error: string | null;
  /** Newest first, each report once. */
  items: ReportView[];
  /** Where the next page starts; null once every report is loaded. */
  nextCursor: string | null;
  more: { status: 'idle' } | { status: 'loading' } | { status: 'failed'; error: string };
}

export interface UserSearch {
  status: 'idle' | 'loading' | 'ready' | 'failed';
  /** What was searched for (blank: everyone). */
  query: string;
  error: string | null;
  users: AdminUser[];
}

export interface ModerationState {
  /** Open flags. */
  flags: ReportList;
  /** Open reports of people. */
  open: ReportList;
  /** Every report, open or resolved: null until asked for. */
  all: ReportList | null;
  users: UserSearch;
}

export type ModerationAction =
  /** A first page was asked for (again). */
  | { type: 'reportsRequested'; filter: ReportFilter }
  | { type: 'reportsLoaded'; filter: ReportFilter; reports: ReportView[]; nextCursor: string | null }
  | { type: 'reportsFailed'; filter: ReportFilter; error: string }
  | { type: 'pageRequested'; filter: ReportFilter; cursor: string }
  | { type: 'pageLoaded'; filter: ReportFilter; cursor: string; reports: ReportView[]; nextCursor: string | null }
  | { type: 'pageFailed'; filter: ReportFilter; cursor: string; error: string }
  /** `message_reported`, `message_flagged`. */
  | { type: 'reported'; report: ReportView }
  /** `report_cleared`, or our own clear: resolved with nothing to act on. */
  | { type: 'reportCleared'; reportId: number; at: string }
  /** `message_hidden`, or our own hide: its reports are resolved. */
  | { type: 'messageHidden'; messageId: number; hidden: Hidden }
  | { type: 'messageUnhidden'; messageId: number }
  | { type: 'messagesPurged'; messageIds: readonly number[]; purged: Purged }
  | { type: 'messageDeleted'; messageId: number }
  | { type: 'usersRequested'; query: string }
  | { type: 'usersLoaded'; query: string; users: AdminUser[] }
  | { type: 'usersFailed'; query: string; error: string }
  | { type: 'userSuspended'; userId: number; suspended: Suspension }
  | { type: 'userUnsuspended'; userId: number }
  /** Left the school (`user_deactivated`) at `at`, or back (`user_reactivated`). */
  | { type: 'userDeactivated'; userId: number; at: string }
  | { type: 'userReactivated'; userId: number }
  | { type: 'erasureStarted'; userId: number; requestedAt: string }
  /** `user_erased` at `at`: every message and file of theirs is gone. */
  | { type: 'userErased'; userId: number; at: string };

const loadingList: ReportList = { status: 'loading', error: null, items: [], nextCursor: null, more: { status: 'idle' } };

export const initialModeration: ModerationState = {
  flags: loadingList,
  open: loadingList,
  all: null,
  users: { status: 'idle', query: '', error: null, users: [] },
};

/** `existing` with `incoming` after it, each report once (the first seen kept). */
export function mergeReports(existing: readonly ReportView[], incoming: readonly ReportView[]): ReportView[] {
  const seen = new Set(existing.map((r) => r.id));
  return [...existing, ...incoming.filter((r) => !seen.has(r.id) && seen.add(r.id))];
}

/** Whether a report is still open. */
export const isOpen = (report: ReportView) => report.resolved_at === null;

/** Whether a report is the system's flag (it has no reporter). */
export const isFlag = (report: ReportView) => report.flag != null || report.reporter == null;

/** Whether `report` belongs in the list `filter`. */
function belongs(report: ReportView, filter: ReportFilter): boolean {
  if (filter === 'all') return true;
  return isOpen(report) && isFlag(report) === (filter === 'flags');
}

type MessageChange = (message: ReportView['message']) => ReportView['message'];

/** The rows of one message changed; `drop`: rows of it that leave the list. */
function onMessage(list: ReportList, messageId: number, change: (report: ReportView) => ReportView | null): ReportList {
  if (!list.items.some((r) => r.message.id === messageId)) return list;
  const items = list.items.flatMap((r) => {
    if (r.message.id !== messageId) return [r];
    const next = change(r);
    return next ? [next] : [];
  });
  return { ...list, items };
}

const withMessage = (change: MessageChange) => (report: ReportView) => ({ ...report, message: change(report.message) });

function reportsReducer(list: ReportList, action: ModerationAction, filter: ReportFilter): ReportList {
  switch (action.type) {
    case 'reportsRequested':
      return action.filter === filter ? { ...list, status: list.status === 'ready' ? 'ready' : 'loading', error: null } : list;
    case 'reportsLoaded': {
      if (action.filter !== filter) return list;
      // Reports the stream brought while this page was on its way stay on top.
      const newest = action.reports.reduce((max, r) => Math.max(max, r.id), 0);
      const live = list.items.filter((r) => r.id > newest && belongs(r, filter));
      const items = mergeReports(live, action.reports);
      return { status: 'ready', error: null, items, nextCursor: action.nextCursor, more: { status: 'idle' } };
    }
    case 'reportsFailed':
      return action.filter === filter ? { ...list, status: 'failed', error: action.error } : list;
    case 'pageRequested':
      return action.filter === filter && action.cursor === list.nextCursor ? { ...list, more: { status: 'loading' } } : list;
    case 'pageLoaded':
      // Loaded anew meanwhile (its pages start elsewhere), or merged already.
      if (action.filter !== filter || action.cursor !== list.nextCursor) return list;
      return {
        ...list,
        items: mergeReports(list.items, action.reports),
        nextCursor: action.nextCursor,
        more: { status: 'idle' },
      };
    case 'pageFailed':
      if (action.filter !== filter || action.cursor !== list.nextCursor) return list;
      return { ...list, more: { status: 'failed', error: action.error } };
    case 'reported':
      if (list.status !== 'ready' || list.items.some((r) => r.id === action.report.id)) return list;
      if (!belongs(action.report, filter)) return list;
      return { ...list, items: [action.report, ...list.items] };
    case 'reportCleared': {
      if (!list.items.some((r) => r.id === action.reportId)) return list;
      if (filter !== 'all') return { ...list, items: list.items.filter((r) => r.id !== action.reportId) };
      const cleared = { resolved_at: action.at, resolution: 'cleared' };
      return { ...list, items: list.items.map((r) => (r.id === action.reportId && isOpen(r) ? { ...r, ...cleared } : r)) };
    }
    case 'messageHidden': {
      const { hidden } = action;
      return onMessage(list, action.messageId, (r) => {
        if (filter !== 'all') return null; // resolved: it leaves the open lists
        const resolved = isOpen(r) ? { resolved_at: hidden.hidden_at, resolution: 'hidden' as const } : {};
        return { ...r, ...resolved, message: { ...r.message, hidden } };
      });
    }
    case 'messageUnhidden':
      return onMessage(list, action.messageId, withMessage((m) => ({ ...m, hidden: null })));
    case 'messagesPurged':
      return action.messageIds.reduce(
        (current, id) =>
          onMessage(current, id, withMessage((m) => ({ ...m, content: '', attachments: [], purged: action.purged }))),
        list,
      );
    case 'messageDeleted':
      return onMessage(list, action.messageId, withMessage((m) => ({ ...m, is_deleted: true })));
    default:
      return list;
  }
}

function changeUser(search: UserSearch, userId: number, change: (user: AdminUser) => AdminUser): UserSearch {
  if (!search.users.some((u) => u.id === userId)) return search;
  return { ...search, users: search.users.map((u) => (u.id === userId ? change(u) : u)) };
}

function usersReducer(search: UserSearch, action: ModerationAction): UserSearch {
  switch (action.type) {
    case 'usersRequested':
      return { ...search, status: 'loading', query: action.query, error: null };
    case 'usersLoaded':
      // An answer to an earlier search is too late.
      return action.query === search.query ? { ...search, status: 'ready', users: action.users } : search;
    case 'usersFailed':
      return action.query === search.query ? { ...search, status: 'failed', error: action.error } : search;
    case 'userSuspended':
      return changeUser(search, action.userId, (u) => ({ ...u, suspended: action.suspended }));
    case 'userUnsuspended':
      return changeUser(search, action.userId, (u) => ({ ...u, suspended: null }));
    case 'userDeactivated':
      return changeUser(search, action.userId, (u) => (u.deactivated_at ? u : { ...u, deactivated_at: action.at }));
    case 'userReactivated':
      return changeUser(search, action.userId, (u) => ({ ...u, deactivated_at: null }));
    case 'erasureStarted':
      return changeUser(search, action.userId, (u) =>
        u.erasure ? u : { ...u, erasure: { requested_at: action.requestedAt, completed_at: null } },
      );
    case 'userErased':
      return changeUser(search, action.userId, (u) => ({
        ...u,
        erasure: { requested_at: u.erasure?.requested_at ?? action.at, completed_at: u.erasure?.completed_at ?? action.at },
      }));
    default:
      return search;
  }
}

export function moderationReducer(state: ModerationState, action: ModerationAction): ModerationState {
  const flags = reportsReducer(state.flags, action, 'flags');
  const open = reportsReducer(state.open, action, 'open');
  // The list of all reports starts with its first request.
  const allBefore = state.all ?? (action.type === 'reportsRequested' && action.filter === 'all' ? loadingList : null);
  const all = allBefore && reportsReducer(allBefore, action, 'all');
  const users = usersReducer(state.users, action);
  if (flags === state.flags && open === state.open && all === state.all && users === state.users) return state;
  return { flags, open, all, users };
}

/**
 * The header's badge: how many open reports and flags are known (`more`: there are more than
 * that), once either list is loaded (one that failed counts none).
 */
export function openReportCount(state: ModerationState): { count: number; more: boolean } | null {
  const ready = [state.open, state.flags].filter((list) => list.status === 'ready');
  if (ready.length === 0) return null;
  return {
    count: ready.reduce((sum, list) => sum + list.items.length, 0),
    more: ready.some((list) => list.nextCursor !== null),
  };
}

/**
 * The Moderation button's badge: what waits for an admin, the open reports and flags (`known`)
 * and the guardians' closure requests not decided yet (`closures`, null until known); its
 * number ("3", "50+") and what it says in words ("1 open report, 2 closure requests"), or null
 * for nothing.
 */
export function openReportsBadge(known: { count: number; more: boolean } | null, t: TFunction, closures: number | null = null) {
  const reports = known ?? { count: 0, more: false };
  const waiting = closures ?? 0;
  if (reports.count === 0 && !reports.more && waiting === 0) return null;
  const { count, more } = reports;
  const words = [
    ...(count > 0 || more
      ? [more ? t('moderation.openReportsMore', { count }) : t('moderation.openReports', { count })]
      : []),
    ...(waiting > 0 ? [t('moderation.closureRequests', { count: waiting })] : []),
  ];
  return {
    text: more ? `${count + waiting}+` : String(count + waiting),
    label: words.join(', '),
  };
}

/** How many of the guardians' closure requests wait for an admin's decision (no `outcome` yet). */
export function waitingClosures(requests: ReadonlyArray<{ outcome: string | null | undefined }>): number {
  return requests.filter((request) => request.outcome == null).length;
}

/** What a person's row says of their account: erased, being erased, suspended, or nothing. */
export type AccountState =
  | { kind: 'erased' }
  | { kind: 'erasing' }
  | { kind: 'deactivated'; since: string }
  | { kind: 'suspended'; suspension: Suspension }
  | { kind: 'active' };

export function accountState(user: AdminUser, now: number): AccountState {
  if (user.erasure?.completed_at) return { kind: 'erased' };
  if (user.erasure) return { kind: 'erasing' };
  if (user.deactivated_at) return { kind: 'deactivated', since: user.deactivated_at };
  const { suspended } = user;
  if (suspended && (suspended.until === null || Date.parse(suspended.until) > now)) {
    return { kind: 'suspended', suspension: suspended };
  }
  return { kind: 'active' };
}

/** What an admin may do to a person. */
export interface AccountActions {
  suspend: boolean;
  unsuspend: boolean;
  /** They left the school (or came back): never an admin, whom the school's directory deactivates. */
  deactivate: boolean;
  reactivate: boolean;
  erase: boolean;
}

/**
 * What an admin may do to a person: never to an admin (422), nothing once erased or being
 * erased; someone who left is reactivated, not suspended.
 */
export function accountActions(user: AdminUser, now: number): AccountActions {
  const state = accountState(user, now);
  const admin = user.role === 'admin';
  const gone = state.kind === 'erased' || state.kind === 'erasing';
  const left = state.kind === 'deactivated';
  return {
    suspend: !admin && !gone && !left && state.kind !== 'suspended',
    unsuspend: !admin && state.kind === 'suspended',
    deactivate: !admin && !gone && !left,
    reactivate: !admin && left,
    erase: !admin && !gone,
  };
}
