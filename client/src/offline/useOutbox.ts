// The outbox in a workspace: every message sent is kept (db.ts) until the server confirms it
// (saved, or held by quiet hours) or refuses it for good, so that one written without a network
// survives a reload and goes once the network returns — with the key it was written with, its
// Idempotency-Key, so that a repeat of a send that did land is the same message, never a second.
//
// On start, the kept messages are sent (if the browser is online) and shown again as pending in
// their conversations once these are loaded; on the browser's `online`, the ones not on their way
// are sent again.

import { type RefObject, useCallback, useEffect, useMemo, useRef, useState } from 'react';

import type { Conversations } from '../conversation/messages';
import type { Store } from '../useWorkspaceStore';
import { outboxEntries, putOutbox, removeOutbox } from './db';
import { type OutboxEntry, keptWrites, toRestore } from './outbox';

export interface Outbox {
  /** A message about to be sent: kept until `done`. */
  add: (entry: OutboxEntry) => void;
  /** The server answered for good (or the person discarded it): not sent again. */
  done: (key: string) => void;
}

/** `send`: sends a kept message again (the commands' delivery, which calls `done`). */
export function useOutbox(store: Store, conversations: Conversations, send: RefObject<(entry: OutboxEntry) => void>): Outbox {
  const entries = useRef(new Map<string, OutboxEntry>());
  const shown = useRef(new Set<string>());
  const [loaded, setLoaded] = useState(false);

  const sendAll = useCallback(() => {
    for (const entry of entries.current.values()) send.current(entry);
  }, [send]);

  useEffect(() => {
    let current = true;
    void outboxEntries().then((kept) => {
      if (!current) return;
      for (const entry of kept) if (!entries.current.has(entry.key)) entries.current.set(entry.key, entry);
      setLoaded(true);
      if (navigator.onLine) sendAll();
    });
    window.addEventListener('online', sendAll);
    return () => {
      current = false;
      window.removeEventListener('online', sendAll);
    };
  }, [sendAll]);

  // Kept messages show as pending in their conversations (the ones written in this tab already do).
  useEffect(() => {
    if (!loaded) return;
    for (const entry of toRestore(entries.current.values(), conversations, shown.current)) {
      shown.current.add(entry.key);
      const { key, senderId, content, createdAt, replyTo, attachments } = entry;
      store.inChat(entry.chatId, { type: 'sendStarted', key, senderId, content, createdAt, replyTo, attachments });
    }
  }, [loaded, conversations, store]);

  // Each message's removal from the device comes after its write (outbox.ts).
  const kept = useMemo(() => keptWrites(putOutbox, removeOutbox), []);
  const add = useCallback(
    (entry: OutboxEntry) => {
      entries.current.set(entry.key, entry);
      shown.current.add(entry.key);
      kept.keep(entry);
    },
    [kept],
  );
  const done = useCallback(
    (key: string) => {
      if (entries.current.delete(key)) void kept.forget(key);
    },
    [kept],
  );
  return useMemo(() => ({ add, done }), [add, done]);
}
