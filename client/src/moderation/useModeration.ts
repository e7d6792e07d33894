// An admin's moderation view (moderation.ts): the open flags and reports, loaded when the
// workspace starts (for the header's badge) and kept current by the stream (useWorkspace applies what
// dispatch.ts returns for it), every report when asked for, the people an admin searches, and
// what an admin does: hide and unhide messages, clear a report or flag, suspend, unsuspend, deactivate, reactivate and erase people. Each
// change is shown as soon as the server accepted it; the stream's event that follows changes
// nothing more. For anyone else it stays empty and asks nothing.

import { type Dispatch, useCallback, useEffect, useReducer } from 'react';

import type { Hidden } from '../api';
import {
  type ReportFilter,
  adminReports,
  adminUsers,
  clearReport,
  deactivateUser,
  eraseUser,
  hideMessage,
  reactivateUser,
  suspendUser,
  unhideMessage,
  unsuspendUser,
} from './moderationApi';
import { type ModerationAction, type ModerationState, initialModeration, moderationReducer } from './moderation';
import type { WireMessage } from '../conversation/model';
import { useSession } from '../session/SessionContext';
import type { Store } from '../useWorkspaceStore';

export interface Moderation {
  state: ModerationState;
  /** The stream's changes. */
  dispatch: Dispatch<ModerationAction>;
  /** The first page of reports (again). */
  loadReports: (filter: ReportFilter) => void;
  /** The next page of reports, if there is one and it is not on its way. */
  loadMoreReports: (filter: ReportFilter) => void;
  /** The people whose name or email contains `query` (everyone, blank). */
  searchUsers: (query: string) => void;
  /** The following reject with the reason in words. */
  hide: (chatId: number, messageId: number, reason: string) => Promise<void>;
  unhide: (chatId: number, messageId: number) => Promise<void>;
  /** Resolves a report or flag as cleared (nothing to act on). */
  clear: (reportId: number) => Promise<void>;
  suspend: (userId: number, reason: string, until: string | null) => Promise<void>;
  unsuspend: (userId: number) => Promise<void>;
  /** They left the school: they cannot sign in, their streams end; nothing is deleted. */
  deactivate: (userId: number) => Promise<void>;
  reactivate: (userId: number) => Promise<void>;
  erase: (userId: number, reason: string) => Promise<void>;
}

/** An admin's (`useSession`); anyone else's stays empty. */
export function useModeration(store: Store): Moderation {
  const { me: { id: me }, isAdmin } = useSession();
  const [state, dispatch] = useReducer(moderationReducer, initialModeration);
  const { failed, latest, inChat } = store;

  const loadReports = useCallback(
    async (filter: ReportFilter) => {
      dispatch({ type: 'reportsRequested', filter });
      try {
        const { reports, next_cursor: nextCursor } = await adminReports(filter);
        dispatch({ type: 'reportsLoaded', filter, reports, nextCursor });
      } catch (error) {
        dispatch({ type: 'reportsFailed', filter, error: failed(error) });
      }
    },
    [failed],
  );

  const loadMoreReports = useCallback(
    async (filter: ReportFilter) => {
      const list = filter === 'all' ? state.all : state[filter];
      const cursor = list?.nextCursor;
      if (!list || list.status !== 'ready' || !cursor || list.more.status === 'loading') return;
      dispatch({ type: 'pageRequested', filter, cursor });
      try {
        const { reports, next_cursor: nextCursor } = await adminReports(filter, cursor);
        dispatch({ type: 'pageLoaded', filter, cursor, reports, nextCursor });
      } catch (error) {
        dispatch({ type: 'pageFailed', filter, cursor, error: failed(error) });
      }
    },
    [state, failed],
  );

  const searchUsers = useCallback(
    async (query: string) => {
      dispatch({ type: 'usersRequested', query });
      try {
        dispatch({ type: 'usersLoaded', query, users: await adminUsers(query) });
      } catch (error) {
        dispatch({ type: 'usersFailed', query, error: failed(error) });
      }
    },
    [failed],
  );

  useEffect(() => {
    if (!isAdmin) return;
    void loadReports('flags');
    void loadReports('open');
  }, [isAdmin, loadReports]);

  /** Runs a request; a failure rejects with the reason in words (and a 401 signs out). */
  const attempt = useCallback(
    async <T>(request: () => Promise<T>): Promise<T> => {
      try {
        return await request();
      } catch (error) {
        throw new Error(failed(error));
      }
    },
    [failed],
  );

  const hide = useCallback(
    async (chatId: number, messageId: number, reason: string) => {
      await attempt(() => hideMessage(messageId, reason));
      const hidden: Hidden = { hidden_at: new Date().toISOString(), hidden_by: me, reason };
      inChat(chatId, { type: 'hidden', id: messageId, hidden, keepContent: true });
      dispatch({ type: 'messageHidden', messageId, hidden });
    },
    [attempt, inChat, me],
  );

  const unhide = useCallback(
    async (chatId: number, messageId: number) => {
      await attempt(() => unhideMessage(messageId));
      // An admin has its content: shown again at once (the event brings the same).
      const shown = latest.current.conversations[chatId]?.messages.find((m) => m.id === messageId);
      if (shown) inChat(chatId, { type: 'unhidden', message: wireOf(shown) });
      dispatch({ type: 'messageUnhidden', messageId });
    },
    [attempt, inChat, latest],
  );

  const clear = useCallback(
    async (reportId: number) => {
      await attempt(() => clearReport(reportId));
      dispatch({ type: 'reportCleared', reportId, at: new Date().toISOString() });
    },
    [attempt],
  );

  const suspend = useCallback(
    async (userId: number, reason: string, until: string | null) => {
      await attempt(() => suspendUser(userId, reason, until));
      dispatch({ type: 'userSuspended', userId, suspended: { until, reason } });
    },
    [attempt],
  );

  const unsuspend = useCallback(
    async (userId: number) => {
      await attempt(() => unsuspendUser(userId));
      dispatch({ type: 'userUnsuspended', userId });
    },
    [attempt],
  );

  const deactivate = useCallback(
    async (userId: number) => {
      await attempt(() => deactivateUser(userId));
      dispatch({ type: 'userDeactivated', userId, at: new Date().toISOString() });
    },
    [attempt],
  );

  const reactivate = useCallback(
    async (userId: number) => {
      await attempt(() => reactivateUser(userId));
      dispatch({ type: 'userReactivated', userId });
    },
    [attempt],
  );

  const erase = useCallback(
    async (userId: number, reason: string) => {
      const started = await attempt(() => eraseUser(userId, reason));
      dispatch({ type: 'erasureStarted', userId, requestedAt: started.requested_at });
    },
    [attempt],
  );

  return {
    state,
    dispatch,
    loadReports: useCallback((filter: ReportFilter) => void loadReports(filter), [loadReports]),
    loadMoreReports: useCallback((filter: ReportFilter) => void loadMoreReports(filter), [loadMoreReports]),
    searchUsers: useCallback((query: string) => void searchUsers(query), [searchUsers]),
    hide,
    unhide,
    clear,
    suspend,
    unsuspend,
    deactivate,
    reactivate,
    erase,
  };
}

/** A message shown as the stream would send it again (what unhiding it restores). */
function wireOf(message: {
  id: number;
  senderId: number;
  content: string;
  createdAt: string;
  isEdited: boolean;
  editedAt: string | null;
  type: string;
  attachments: WireMessage['attachments'];
}): WireMessage {
  return {
    id: message.id,
    sender_id: message.senderId,
    content: message.content,
    created_at: message.createdAt,
    is_edited: message.isEdited,
    edited_at: message.editedAt,
    type: message.type,
    attachments: message.attachments,
    hidden: null,
  };
}
