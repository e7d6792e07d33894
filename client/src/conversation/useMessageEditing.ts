// Whether this school lets authors edit their messages (`MESSAGE_EDITING`; `GET /api/me`'s
// `message_editing`): the edit action is offered only then. Asked once per page (a server's
// setting, the same for everyone); until the answer comes, editing is offered, and an edit
// the server refuses (`editing_off`) says why in the usual error line.

import { useEffect, useState } from 'react';

import { messageEditing } from '../api';

let asked: Promise<boolean> | null = null;

export function useMessageEditing(): boolean {
  const [allowed, setAllowed] = useState(true);
  useEffect(() => {
    let live = true;
    asked ??= messageEditing().catch(() => {
      asked = null; // ask again next time
      return true;
    });
    void asked.then((answer) => {
      if (live) setAllowed(answer);
    });
    return () => {
      live = false;
    };
  }, []);
  return allowed;
}
