import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { PERSON_KEY, keepFor, keptOf, keptPerson, onPersonChange } from './db';

const maria = { id: 1, name: 'Мария Иванова', role: 'student' as const };
const ivan = { id: 2, name: 'Иван Петров', role: 'teacher' as const };

/** localStorage and window's events, as a browser's (the tests run in Node, without IndexedDB). */
function fakeBrowser() {
  const items = new Map<string, string>();
  const storage = {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
  vi.stubGlobal('localStorage', storage);
  vi.stubGlobal('window', new EventTarget());
  return items;
}

/** A `storage` event as another tab's change makes it. */
function storageEvent(key: string | null, newValue: string | null): Event {
  return Object.assign(new Event('storage'), { key, newValue });
}

describe('who the device keeps, and until when', () => {
  let items: Map<string, string>;
  beforeEach(() => {
    items = fakeBrowser();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('opens offline the person kept, with their session’s end, until that end only', () => {
    keepFor(maria, 10_000);
    expect(keptPerson(9_999)).toEqual({ person: maria, expiresAt: 10_000 });
    expect(keptPerson(10_000)).toBeNull();
    expect(items.has(PERSON_KEY)).toBe(false); // and forgotten, with their data
  });

  it('opens nothing whose end it does not know (kept by an older version, or a server that did not say)', () => {
    items.set(PERSON_KEY, JSON.stringify(maria));
    expect(keptOf(items.get(PERSON_KEY)!)).toEqual({ person: maria, expiresAt: null });
    expect(keptPerson(0)).toBeNull();
    expect(items.has(PERSON_KEY)).toBe(false);
    keepFor(ivan, null);
    expect(keptPerson(0)).toBeNull();
  });

  it('reads nothing from what is not a kept person', () => {
    for (const value of [null, '', 'null', '42', '{"person": {"id": "1"}}', '{"id": 1.5}', 'not json']) {
      expect(keptOf(value)).toBeNull();
    }
  });

  it('tells a tab when another one signs someone else in, or signs out; not when the same person is kept again', () => {
    const changed = vi.fn();
    const stop = onPersonChange(maria.id, changed);
    window.dispatchEvent(storageEvent(PERSON_KEY, JSON.stringify({ person: maria, expiresAt: 20_000 })));
    window.dispatchEvent(storageEvent('tutorchat.other', 'x'));
    expect(changed).not.toHaveBeenCalled();
    window.dispatchEvent(storageEvent(PERSON_KEY, JSON.stringify({ person: ivan, expiresAt: 20_000 })));
    expect(changed).toHaveBeenCalledTimes(1);
    window.dispatchEvent(storageEvent(PERSON_KEY, null)); // signed out there
    window.dispatchEvent(storageEvent(null, null)); // the storage cleared
    expect(changed).toHaveBeenCalledTimes(3);
    stop();
    window.dispatchEvent(storageEvent(PERSON_KEY, null));
    expect(changed).toHaveBeenCalledTimes(3);
  });
});
