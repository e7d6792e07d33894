// What this device keeps of the person signed in, for reading and writing without a network:
// an IndexedDB database of their own (`tutorchat-<id>`, through `idb`), deleted when their
// session ends however it ends (session/forget.ts: signing out, a 401 that ends it, its expiry
// seen offline, someone else signing in), so the next person on a shared phone finds nothing
// of theirs.
//
// - `snapshots`: the first page of the chat list and the newest page of each recently opened
//   conversation, as the server last answered them (with their event-log position, so the
//   stream resumes from there once the network is back); the `KEEP_CONVERSATIONS` most
//   recently opened are kept.
// - `outbox`: the messages written and not yet confirmed by the server, with their
//   Idempotency-Key (useOutbox.ts).
//
// Who was signed in is kept in localStorage too (`PERSON_KEY`), with when their session ends:
// without a network, `/api/me` cannot say, and the app opens on what is kept here, until that
// moment only (a session the server would refuse is not opened offline either: past it, the
// kept data is deleted instead). A 401 once the network is back signs out (and deletes it all)
// as usual. The other tabs hear of a change of person through `storage` events on the key
// (`onPersonChange`). Every operation is best effort: a browser without IndexedDB (or refusing
// it, private modes) runs the app online only.

import { type DBSchema, type IDBPDatabase, type IDBPObjectStore, type StoreNames, deleteDB, openDB } from 'idb';

import type { Person } from '../api';
import type { OutboxEntry } from './outbox';

export const PERSON_KEY = 'tutorchat.offline.person';
/** How many conversations' newest pages are kept. */
export const KEEP_CONVERSATIONS = 20;

export interface Saved {
  data: unknown;
  position: number | null;
  savedAt: number;
}

interface OfflineSchema extends DBSchema {
  snapshots: { key: string; value: Saved; indexes: { savedAt: number } };
  outbox: { key: string; value: OutboxEntry };
}

const dbName = (person: number) => `tutorchat-${person}`;

let current: { person: number; db: Promise<IDBPDatabase<OfflineSchema> | null> } | null = null;

function open(person: number): Promise<IDBPDatabase<OfflineSchema> | null> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(null);
  return openDB<OfflineSchema>(dbName(person), 1, {
    upgrade(db) {
      db.createObjectStore('snapshots').createIndex('savedAt', 'savedAt');
      db.createObjectStore('outbox', { keyPath: 'key' });
    },
  }).catch(() => null);
}

function storage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

/** Who is kept: the person, and when their session ends (ms since the epoch; null: unknown). */
export interface Kept {
  person: Person;
  expiresAt: number | null;
}

/**
 * What `PERSON_KEY` holds, read: `{person, expiresAt}`, or a bare person as an older version of
 * the app kept it (no expiry known). Null for nothing, or anything else.
 */
export function keptOf(value: string | null): Kept | null {
  try {
    const parsed = JSON.parse(value ?? 'null') as unknown;
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { person, expiresAt } = parsed as { person?: Person; expiresAt?: unknown };
    const kept = person === undefined ? { person: parsed as Person, expiresAt: null } : { person, expiresAt };
    if (typeof kept.person !== 'object' || kept.person === null || !Number.isSafeInteger(kept.person.id)) return null;
    return { person: kept.person, expiresAt: typeof kept.expiresAt === 'number' ? kept.expiresAt : null };
  } catch {
    return null;
  }
}

const kept = () => keptOf(storage()?.getItem(PERSON_KEY) ?? null);

/** The person signed in, whose session ends at `expiresAt`: what is kept from now on is theirs. */
export function keepFor(person: Person, expiresAt: number | null): void {
  const before = kept()?.person ?? null;
  // Someone else's session (theirs ended without a sign-out here): nothing of theirs stays.
  if (before !== null && before.id !== person.id && typeof indexedDB !== 'undefined') {
    void deleteDB(dbName(before.id)).catch(() => {});
  }
  if (current?.person !== person.id) current = { person: person.id, db: open(person.id) };
  storage()?.setItem(PERSON_KEY, JSON.stringify({ person, expiresAt } satisfies Kept));
}

/**
 * Who was signed in on this device last, if nobody signed out since and their session has not
 * ended (for opening offline). A session past its end (or of an unknown end) opens nothing: what
 * was kept of it is deleted now.
 */
export function keptPerson(now = Date.now()): Kept | null {
  const last = kept();
  if (last === null) return null;
  if (last.expiresAt === null || last.expiresAt <= now) {
    void forgetAll();
    return null;
  }
  return last;
}

/**
 * Calls `changed` when another tab of this browser changes who is kept: someone else signed in
 * (`PERSON_KEY` names another person), or the person signed out or their session ended there
 * (the key is removed). This tab then shows someone else's session, or none: it must follow.
 * Answers the function that stops listening.
 */
export function onPersonChange(me: number, changed: () => void): () => void {
  const listener = (event: StorageEvent) => {
    if (event.key !== PERSON_KEY && event.key !== null) return; // null: the storage was cleared
    if (event.key === null || keptOf(event.newValue)?.person.id !== me) changed();
  };
  window.addEventListener('storage', listener);
  return () => window.removeEventListener('storage', listener);
}

/** Signed out, or the session ended: everything kept of the last person is deleted. */
export async function forgetAll(): Promise<void> {
  const last = current?.person ?? kept()?.person.id ?? null;
  storage()?.removeItem(PERSON_KEY);
  const db = await current?.db;
  current = null;
  db?.close();
  if (last !== null && typeof indexedDB !== 'undefined') await deleteDB(dbName(last)).catch(() => {});
}

async function db(): Promise<IDBPDatabase<OfflineSchema> | null> {
  return (await current?.db) ?? null;
}

type Store = StoreNames<OfflineSchema>;

/**
 * `query` on the store `name` in a read transaction of its own, whose end is awaited with it
 * (null without a database). idb's shortcuts (`db.get(…)`) leave a read transaction's `done`
 * unawaited, and one aborted (the page unloading as its tab follows another person, or the
 * database deleted under it) rejects it with nobody listening: an uncaught `AbortError`.
 */
async function reading<Name extends Store, T>(
  name: Name,
  query: (store: IDBPObjectStore<OfflineSchema, [Name], Name, 'readonly'>) => Promise<T>,
): Promise<T | null> {
  const database = await db();
  if (!database) return null;
  const tx = database.transaction(name, 'readonly');
  const [result] = await Promise.all([query(tx.store), tx.done]);
  return result;
}

/** Keeps an answer under `key` (conversations beyond the newest `KEEP_CONVERSATIONS` are dropped). */
export async function saveSnapshot(key: string, data: unknown, position: number | null): Promise<void> {
  const store = await db();
  if (!store) return;
  try {
    await store.put('snapshots', { data, position, savedAt: Date.now() }, key);
    const bySaved = await reading('snapshots', (snapshots) => snapshots.index('savedAt').getAllKeys());
    const keys = (bySaved ?? []).filter((k) => k.startsWith('chat:'));
    for (const old of keys.slice(0, Math.max(0, keys.length - KEEP_CONVERSATIONS))) await store.delete('snapshots', old);
  } catch {
    // not kept: it is read from the server next time
  }
}

export async function savedSnapshot(key: string): Promise<Saved | null> {
  try {
    return (await reading('snapshots', (snapshots) => snapshots.get(key))) ?? null;
  } catch {
    return null;
  }
}

export async function outboxEntries(): Promise<OutboxEntry[]> {
  try {
    return (await reading('outbox', (outbox) => outbox.getAll())) ?? [];
  } catch {
    return [];
  }
}

export async function putOutbox(entry: OutboxEntry): Promise<void> {
  await (await db())?.put('outbox', entry).catch(() => {});
}

export async function removeOutbox(key: string): Promise<void> {
  await (await db())?.delete('outbox', key).catch(() => {});
}
