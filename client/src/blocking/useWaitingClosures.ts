// The Moderation button counts the guardians' closure requests that wait for a decision beside
// the open reports: an admin learns of one without opening Moderation (GET
// /api/admin/closure-requests, docs/api.md).

import { useEffect, useState } from 'react';

import { waitingClosures } from '../moderation/moderation';
import { allClosureRequests } from './blockingApi';

/**
 * For admins (`enabled`): how many closure requests wait for a decision, null until known (or
 * when the list cannot be had: the badge then counts the reports alone). Read at start, on the
 * stream's news of one (`news`: a request made or declined) and when Moderation closes
 * (`moderating` false again: a request closed there sends no such news).
 */
export function useWaitingClosures(enabled: boolean, news: number, moderating: boolean): number | null {
  const [waiting, setWaiting] = useState<number | null>(null);
  useEffect(() => {
    if (!enabled || moderating) return;
    let current = true;
    allClosureRequests()
      .then((requests) => current && setWaiting(waitingClosures(requests)))
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [enabled, news, moderating]);
  return waiting;
}
