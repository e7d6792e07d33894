// The people a group can take: the demo user list (`GET /api/dev/users`, the one the sign-in
// page shows), fetched once per page and shared. A server without it (no dev login) answers an
// error: the pickers then ask for a user id instead.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type DevUser, devUsers } from './api';
import { errorText } from './errors';
import { useLatest } from './useLatest';

export type Users = { status: 'loading' } | { status: 'ready'; users: DevUser[] } | { status: 'failed'; error: string };

let cached: Promise<DevUser[]> | null = null;

/**
 * Everyone the server lists, loaded once; a failure is forgotten, so a later picker asks again.
 * Not asked while `enabled` is false (who does not pick anyone); it stays `loading` then.
 */
export function useUsers(enabled = true): Users {
  const [users, setUsers] = useState<Users>({ status: 'loading' });
  const { t } = useTranslation();
  const words = useLatest(t);
  useEffect(() => {
    if (!enabled) return;
    let current = true;
    cached ??= devUsers();
    cached.then(
      (list) => current && setUsers({ status: 'ready', users: list }),
      (error: unknown) => {
        cached = null;
        if (current) setUsers({ status: 'failed', error: errorText(error, words.current) });
      },
    );
    return () => {
      current = false;
    };
  }, [enabled, words]);
  return users;
}

/** Who may become a member: students and teachers (admins never are), but not `exclude`. */
export function candidates(users: readonly DevUser[], exclude: ReadonlySet<number>): DevUser[] {
  return users.filter((u) => (u.role === 'student' || u.role === 'teacher') && !exclude.has(u.id));
}

/** The user ids typed into the fallback field ("12, 15 17"), or null if something is not one. */
export function parseUserIds(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const ids = parts.map(Number);
  return ids.every((id) => Number.isSafeInteger(id) && id > 0) ? [...new Set(ids)] : null;
}
