import { useEffect, useRef } from 'react';

/** Whether the keyboard's place is lost: on nothing, or on an element no longer shown. */
function focusLost(): boolean {
  const active = document.activeElement;
  return !(active instanceof HTMLElement) || active === document.body || active.getClientRects().length === 0;
}

/**
 * On a narrow screen (a phone, or a desktop zoomed in) the chat list and the conversation take
 * turns, so the control that had the focus (a chat's row, the back button) leaves the page, and
 * the keyboard's place with it. After a switch, if nothing shown has the focus (the composer
 * takes it itself where it may), it goes to the conversation's title, or back to the row of the
 * chat just left.
 */
export function useFocusOnSwitch(openChatId: number | null): void {
  const previous = useRef(openChatId);
  useEffect(() => {
    const left = previous.current;
    previous.current = openChatId;
    if (left === openChatId || !focusLost()) return;
    const target =
      openChatId !== null
        ? document.querySelector<HTMLElement>('[data-testid="conversation-title"]')
        : left !== null
          ? document.querySelector<HTMLElement>(`[data-testid="chat-${left}"]`)
          : null;
    target?.focus();
  }, [openChatId]);
}
