// The open chat lives in the URL (/chats/<id>), so a reload or a shared link reopens it and
// the browser's back button closes it (on phones: back to the list).

import { useCallback, useEffect, useState } from 'react';

export function chatIdFromPath(pathname: string): number | null {
  const match = /^\/chats\/(\d+)\/?$/.exec(pathname);
  return match ? Number(match[1]) : null;
}

export function pathForChat(chatId: number | null): string {
  return chatId === null ? '/' : `/chats/${chatId}`;
}

export function useOpenChat(): [number | null, (chatId: number | null) => void] {
  const [chatId, setChatId] = useState(() => chatIdFromPath(window.location.pathname));

  useEffect(() => {
    const onPop = () => setChatId(chatIdFromPath(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const open = useCallback((next: number | null) => {
    const path = pathForChat(next);
    if (window.location.pathname !== path) window.history.pushState(null, '', path);
    setChatId(next);
  }, []);

  return [chatId, open];
}
