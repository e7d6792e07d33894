// Whether our own account is suspended (suspension.ts): asked of `GET /api/me` when the
// workspace starts, each time the stream (re)opens (a suspension ends our stream, and the
// browser reconnects), when the stream says our account was suspended or unsuspended, and when
// a write was refused with `account_suspended`. A suspension whose end has passed is over
// without asking. Admins cannot be suspended: for them it asks nothing.

import { useCallback, useEffect, useRef, useState } from 'react';

import { type Suspension, mySuspension } from '../api';
import { useSession } from '../session/SessionContext';
import { activeSuspension } from './suspension';
import { useNow } from '../useNow';

export interface SuspensionSource {
  /** Our suspension while it holds; null when there is none (or not known yet). */
  suspension: Suspension | null;
  /** Asks the server again (one request at a time; a later answer wins). */
  recheck: () => void;
}

export function useSuspension(): SuspensionSource {
  const enabled = !useSession().isAdmin;
  const [suspension, setSuspension] = useState<Suspension | null>(null);
  const requests = useRef(0);
  const now = useNow(30_000);

  const recheck = useCallback(() => {
    if (!enabled) return;
    const request = ++requests.current;
    mySuspension().then(
      (answer) => {
        if (request === requests.current) setSuspension(answer);
      },
      () => {}, // unknown for now: what is shown stays (the stream handles a 401)
    );
  }, [enabled]);

  useEffect(() => {
    recheck();
  }, [recheck]);

  return { suspension: enabled ? activeSuspension(suspension, now.getTime()) : null, recheck };
}
