import { useEffect } from 'react';

import { documentTitle } from './chats/items';
import { showBadge } from './pwa/badge';

/** The page title without the unread count (as index.html has it). */
export const TITLE = 'Tutorchat';

/**
 * Shows the unread total in the tab's title and on the installed app's badge while mounted, and
 * the plain title and no badge after (signed out).
 */
export function useDocumentTitle(unread: number) {
  useEffect(() => {
    document.title = documentTitle(unread, TITLE);
    showBadge(unread);
    return () => {
      document.title = TITLE;
      showBadge(null);
    };
  }, [unread]);
}
