// The installed app's badge (the Badging API: a number on the home-screen or dock icon) shows
// the unread total the page title shows (useUnreadTotal.ts). Where the browser has no badge,
// nothing happens; a browser refusing it (not installed, not allowed) is not an error either.

type BadgeNavigator = Navigator & {
  setAppBadge?: (count?: number) => Promise<void>;
  clearAppBadge?: () => Promise<void>;
};

/** Sets the badge to `count` (cleared for 0, or null: nothing to count, signed out). */
export function showBadge(count: number | null, nav: BadgeNavigator = navigator): void {
  if (typeof nav.setAppBadge !== 'function' || typeof nav.clearAppBadge !== 'function') return;
  const done = count !== null && count > 0 ? nav.setAppBadge(count) : nav.clearAppBadge();
  void done?.catch(() => {});
}
