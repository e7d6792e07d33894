// The server's total unread count (unread.ts) for the page title: asked when the workspace
// starts, then again after the stream events that may change it (`refreshSoon`, debounced).
// Only where the server answers it (students and teachers): for admins, guests and guardians it asks nothing.

import { useCallback, useEffect, useRef, useState } from 'react';

import * as api from './api';
import { useSession } from './session/SessionContext';
import { noUnreadTotal, refreshDelay, unreadAnswered } from './unread';

export interface UnreadTotalSource {
  /** The server's count; null until it answered (or when not enabled). */
  count: number | null;
  /** Asks again in a moment (one request for a burst of changes). */
  refreshSoon: () => void;
}

/** `failed`: the store's, so that a 401 signs out; other failures keep the last count until the next change. */
export function useUnreadTotal(failed: (error: unknown) => unknown): UnreadTotalSource {
  const { isAdmin, isGuest, isGuardian } = useSession();
  const enabled = !isAdmin && !isGuest && !isGuardian;
  const [total, setTotal] = useState(noUnreadTotal);
  const requests = useRef(0);

  const load = useCallback(async () => {
    const request = ++requests.current;
    try {
      const { unread_count: count } = await api.unreadCount();
      setTotal((now) => unreadAnswered(now, request, count));
    } catch (error) {
      if (api.isUnauthorized(error)) failed(error);
    }
  }, [failed]);

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const firstChange = useRef<number | null>(null);
  const refreshSoon = useCallback(() => {
    if (!enabled) return;
    const now = Date.now();
    firstChange.current ??= now;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      firstChange.current = null;
      void load();
    }, refreshDelay(firstChange.current, now));
  }, [enabled, load]);

  useEffect(() => {
    if (enabled) void load();
  }, [enabled, load]);
  useEffect(() => () => clearTimeout(timer.current), []);

  return { count: enabled ? total.count : null, refreshSoon };
}
