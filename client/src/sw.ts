/// <reference lib="webworker" />
// Tutorchat's one service worker, at /sw.js with scope / (built by vite-plugin-pwa's
// injectManifest from this file; `self.__WB_MANIFEST` is the build's list of files):
//
// - The app shell precached (Workbox): the page, its scripts and styles, the icons and the
//   manifests, so that the app opens without a network. Navigations to the app's pages are
//   answered with the precached page; every other path the server owns goes to the network
//   (sw/navigation.ts). The API is never cached here: what is readable offline is kept by the
//   page, per person, in IndexedDB (src/offline/).
// - Updates never half-load: a new version installs beside the running one and waits. The page
//   announces it (pwa/useUpdate.ts); only the person's "Reload" sends `{type: 'SKIP_WAITING'}`,
//   the new worker takes over and the page reloads, so a page never runs on another version's
//   files. The old version's precache is dropped once the new one is active.
// - Web Push (sw/push.ts): every push shows a notification; a click opens its chat.

import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';

import { isAppPage } from './sw/navigation';
import { type PushScope, listenForPush } from './sw/push';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null } | string> };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

const appPage = createHandlerBoundToURL('/index.html');
registerRoute(({ request, url }) => request.mode === 'navigate' && isAppPage(url.pathname), appPage);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

listenForPush(self as unknown as PushScope);
