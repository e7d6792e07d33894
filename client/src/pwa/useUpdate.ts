// The service worker's registration (workbox-window), and a new version of the app announced
// rather than forced: when the browser finds a newer /sw.js, it installs it beside the running
// one, where it waits (the worker never skips waiting by itself: src/sw.ts). `ready` is then
// true and the page says so; `reload()` — the person's click — tells the waiting worker to take
// over and reloads once it controls the page, so the whole page comes from the new version.
// Registered in the built app only (`npm run dev` serves no worker).

import { useCallback, useEffect, useRef, useState } from 'react';
import { Workbox } from 'workbox-window';

import { WORKER_URL } from '../push/usePush';

/** How often a long-open tab asks whether there is a new version. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

export interface Update {
  /** A new version is installed and waiting. */
  ready: boolean;
  /** Switches to it (the person asked): the page reloads. */
  reload: () => void;
}

export function useUpdate(): Update {
  const [ready, setReady] = useState(false);
  const workbox = useRef<Workbox | null>(null);

  useEffect(() => {
    if (!import.meta.env.PROD || !('serviceWorker' in navigator) || !window.isSecureContext) return;
    const wb = new Workbox(WORKER_URL, { scope: '/' });
    workbox.current = wb;
    wb.addEventListener('waiting', () => setReady(true));
    void wb.register().catch(() => {}); // no worker: the app still runs, online only
    const timer = setInterval(() => void wb.update().catch(() => {}), CHECK_EVERY_MS);
    return () => clearInterval(timer);
  }, []);

  const reload = useCallback(() => {
    const wb = workbox.current;
    if (!wb) return;
    wb.addEventListener('controlling', () => window.location.reload());
    wb.messageSkipWaiting();
  }, []);

  return { ready, reload };
}
