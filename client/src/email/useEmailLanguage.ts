// The language the school writes a person's emails in follows the one they read the app in:
// asked once when the workspace opens, then told whenever it differs (the RU/EN switch, or a
// first visit in the browser's language). A failure is left for the next change or visit.

import { useEffect, useRef } from 'react';

import type { Schemas } from '../api';
import { type Languages, chooseEmailLanguage, emailLanguage, languageToSend } from './emailApi';

export function useEmailLanguage(ui: Schemas['Language'], enabled: boolean): void {
  const server = useRef<Languages | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const tell = async () => {
      server.current ??= await emailLanguage();
      const send = languageToSend(ui, server.current);
      if (send) server.current = await chooseEmailLanguage(send);
    };
    tell().catch(() => {
      server.current = null; // asked again at the next change or visit
    });
  }, [ui, enabled]);
}
