import { useEffect } from 'react';

import { documentTitle } from './chats/items';

/** The page title without the unread count (as index.html has it). */
export const TITLE = 'Tutorchat';

/** Shows the unread total in the tab's title while mounted, and the plain title after. */
export function useDocumentTitle(unread: number) {
  useEffect(() => {
    document.title = documentTitle(unread, TITLE);
    return () => {
      document.title = TITLE;
    };
  }, [unread]);
}
