// Which navigations the service worker answers with the app's page (index.html, precached) when
// offline or not: the single-page app's own addresses only (route.ts, inquiry.ts). Everything
// else the server owns goes to the network as it is — `/api`, Socket.IO, SCIM, `/health`,
// `/healthz`, `/readyz`, `/metrics`, `/robots.txt`, the dialects' paths, files — so that a link to
// an export or a health check opened in the installed app is never the chat's page.

/** The app's pages: `/`, `/chats/<id>`, `/inquiry/<token>`. */
export const APP_PAGES: RegExp[] = [/^\/$/, /^\/chats\/\d+\/?$/, /^\/inquiry\/[^/]+\/?$/];

/** Never the app's page, even if a page above came to match one (belt and braces). */
export const SERVER_PATHS: RegExp[] = [
  /^\/api(\/|$)/,
  /^\/socket\.io(\/|$)/,
  /^\/scim(\/|$)/,
  /^\/health/,
  /^\/readyz/,
  /^\/metrics/,
  /^\/robots\.txt$/,
  /^\/assets\//,
  /\.[a-z0-9]+$/i,
];

/** Whether a navigation to `pathname` is answered with the app's page. */
export function isAppPage(pathname: string): boolean {
  return APP_PAGES.some((page) => page.test(pathname)) && !SERVER_PATHS.some((path) => path.test(pathname));
}
