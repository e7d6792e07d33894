// Who is signed in, for every hook and component of their page: the person `/api/me` named
// (App knows them, and provides them once around the workspace), and what the page derives of
// their role. A session's page is mounted anew for another person (App keys it by id), so the
// value never changes under a mounted page. Pure modules never read it: they take `me` (or
// `isAdmin`) as a parameter, and stay testable without React.

import { type ReactNode, createContext, useContext, useMemo } from 'react';

import type { Person } from '../api';

export interface Session {
  /** The person signed in (a guest too: role `guest`). */
  me: Person;
  /** Admins read every chat and moderate; they never write, read (mark read) or type. */
  isAdmin: boolean;
  /** A visitor of an inquiry link, with their one chat. */
  isGuest: boolean;
  /** Teachers and admins: they create groups and inquiry links, and complete lessons. */
  isStaff: boolean;
  /**
   * A parent or carer: reads the direct chats of the students linked to them, never writing
   * (no composer, no read marker, no typing, no reports; the server refuses all of it).
   */
  isGuardian: boolean;
}

/** What the page derives of the person signed in. */
export function sessionOf(me: Person): Session {
  return {
    me,
    isAdmin: me.role === 'admin',
    isGuest: me.role === 'guest',
    isStaff: me.role === 'teacher' || me.role === 'admin',
    isGuardian: me.role === 'guardian',
  };
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ me, children }: { me: Person; children: ReactNode }) {
  const session = useMemo(() => sessionOf(me), [me]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** The person signed in; only below a `SessionProvider` (a signed-in user's or a guest's page). */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession: no SessionProvider above');
  return session;
}
