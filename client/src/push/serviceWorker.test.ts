// The service worker's push half (src/sw/push.ts) against fakes of the worker's global scope
// (registration.showNotification, clients, caches, navigator). Its words are checked against
// the locales' `push.*`, of which they are a copy.

import { describe, expect, it } from 'vitest';

import en from '../locales/en';
import ru from '../locales/ru';
import { type PushScope, WORDS, countText, listenForPush } from '../sw/push';
import { isAppPage } from '../sw/navigation';

interface FakeWindow {
  url: string;
  focused?: boolean;
  visibilityState?: string;
  messages: unknown[];
  focus: () => Promise<FakeWindow>;
  postMessage: (message: unknown) => void;
}

function fakeWindow(url: string, focused = false): FakeWindow {
  const win: FakeWindow = {
    url,
    focused,
    visibilityState: focused ? 'visible' : 'hidden',
    messages: [],
    focus: async () => {
      win.focused = true;
      return win;
    },
    postMessage: (message) => win.messages.push(message),
  };
  return win;
}

/** The worker in a sandbox: its listeners, and what it did. */
function worker(options: { language?: string; windows?: FakeWindow[] } = {}) {
  const listeners = new Map<string, (event: unknown) => void>();
  const shown: { title: string; options: Record<string, unknown> }[] = [];
  const opened: string[] = [];
  const stored = new Map<string, string>();
  const windows = options.windows ?? [];
  const scope = {
    navigator: { language: options.language ?? 'en-US' },
    location: new URL('https://chat.example/sw.js'),
    addEventListener: (type: string, listener: (event: unknown) => void) => listeners.set(type, listener),
    registration: {
      showNotification: async (title: string, opts: Record<string, unknown>) => void shown.push({ title, options: opts }),
    },
    clients: {
      matchAll: async (query: unknown) => {
        expect(query).toEqual({ type: 'window', includeUncontrolled: true });
        return windows;
      },
      openWindow: async (url: string) => void opened.push(url),
    },
    caches: {
      open: async () => ({
        match: async (key: string) => (stored.has(key) ? new Response(stored.get(key)) : undefined),
        put: async (key: string, response: Response) => void stored.set(key, await response.text()),
      }),
    },
  };
  listenForPush(scope as unknown as PushScope);

  /** Dispatches an event to the worker and waits for what it extended the event with. */
  async function fire(type: string, fields: Record<string, unknown>) {
    const waits: Promise<unknown>[] = [];
    listeners.get(type)!({ ...fields, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    await Promise.all(waits);
  }
  const data = (body: string | null) =>
    body === null ? null : { json: () => JSON.parse(body), text: () => body };
  return { fire, data, shown, opened, stored, listeners };
}

const payload = {
  title: 'Мария Иванова',
  body: 'Посмотрите упражнение 5 в учебнике',
  chat_id: 12,
  message_id: 345,
  count: 1,
  sender: 'Мария Иванова',
};

describe('the service worker', () => {
  it('listens for message, push and notificationclick (install, activate and fetch are Workbox’s)', () => {
    expect([...worker().listeners.keys()].sort()).toEqual(['message', 'notificationclick', 'push']);
  });

  it('has the locales’ words for its notifications', () => {
    const words = WORDS;
    expect(words.en!.newMessage).toBe(en.push.newMessage);
    expect(words.ru!.newMessage).toBe(ru.push.newMessage);
    expect(words.en!.newMessages).toEqual({ one: en.push.newMessages_one, other: en.push.newMessages_other });
    expect(words.ru!.newMessages).toEqual({
      one: ru.push.newMessages_one,
      few: ru.push.newMessages_few,
      many: ru.push.newMessages_many,
      other: ru.push.newMessages_other,
    });
  });

  it('shows a push as the sender’s notification, tagged by its chat', async () => {
    const sw = worker({ language: 'en-GB' });
    await sw.fire('push', { data: sw.data(JSON.stringify(payload)) });
    expect(sw.shown).toEqual([
      {
        title: 'Мария Иванова',
        options: {
          body: 'Посмотрите упражнение 5 в учебнике',
          tag: 'chat-12',
          renotify: true,
          lang: 'en',
          data: { chat_id: 12, message_id: 345 },
        },
      },
    ]);
  });

  it('says how many messages a push stands for, in Russian plural forms', async () => {
    const sw = worker({ language: 'ru-RU' });
    for (const count of [2, 5, 21]) await sw.fire('push', { data: sw.data(JSON.stringify({ ...payload, count })) });
    expect(sw.shown.map((n) => n.options.body)).toEqual([
      '2 новых сообщения · Посмотрите упражнение 5 в учебнике',
      '5 новых сообщений · Посмотрите упражнение 5 в учебнике',
      '21 новое сообщение · Посмотрите упражнение 5 в учебнике',
    ]);
    expect(countText('en', 3)).toBe('3 new messages');
  });

  it('shows a plain “New message” for a push that is not the payload it knows', async () => {
    const sw = worker({ language: 'ru' });
    await sw.fire('push', { data: sw.data('not json') });
    await sw.fire('push', { data: null });
    await sw.fire('push', { data: sw.data('{"chat_id": "12"}') });
    expect(sw.shown.map((n) => [n.title, n.options.tag])).toEqual([
      ['Новое сообщение', 'tutorchat'],
      ['Новое сообщение', 'tutorchat'],
      ['Новое сообщение', 'tutorchat'],
    ]);
  });

  it('speaks the language the page told it, kept for the next start, over the browser’s', async () => {
    const sw = worker({ language: 'ru-RU' });
    await sw.fire('message', { data: { type: 'language', language: 'en' } });
    await sw.fire('message', { data: { type: 'language', language: 'de' } }); // not one of ours: ignored
    await sw.fire('push', { data: sw.data(JSON.stringify({ ...payload, count: 2 })) });
    expect(sw.shown[0]!.options.body).toBe('2 new messages · Посмотрите упражнение 5 в учебнике');
    expect([...sw.stored.values()]).toEqual(['en']);
  });

  it('on a click, brings an open tab of the app forward and asks it to open the chat', async () => {
    const guest = fakeWindow('https://chat.example/inquiry/abc', true);
    const app = fakeWindow('https://chat.example/chats/3');
    const sw = worker({ windows: [guest, app] });
    let closed = false;
    await sw.fire('notificationclick', { notification: { data: { chat_id: 12, message_id: 345 }, close: () => (closed = true) } });
    expect(closed).toBe(true);
    expect(app.focused).toBe(true);
    expect(app.messages).toEqual([{ type: 'open-chat', chat_id: 12 }]);
    expect(guest.messages).toEqual([]);
    expect(sw.opened).toEqual([]);
  });

  it('on a click with no tab of the app open, opens one at the chat', async () => {
    const sw = worker({ windows: [fakeWindow('https://chat.example/inquiry/abc')] });
    await sw.fire('notificationclick', { notification: { data: { chat_id: 12 }, close: () => {} } });
    await sw.fire('notificationclick', { notification: { data: {}, close: () => {} } });
    expect(sw.opened).toEqual(['/chats/12', '/']);
  });
});

describe('the worker’s navigations', () => {
  it('answers the app’s pages with the app, and leaves every path the server owns to the server', () => {
    for (const page of ['/', '/chats/12', '/chats/12/', '/inquiry/demoEGEmatematika2026askIvanPetrov']) {
      expect(isAppPage(page), page).toBe(true);
    }
    for (const path of [
      '/api/me',
      '/api/chats/12/export.pdf',
      '/socket.io/',
      '/scim/v2/Users',
      '/health',
      '/healthz',
      '/readyz',
      '/metrics',
      '/robots.txt',
      '/sw.js',
      '/manifest.en.webmanifest',
      '/assets/index-Bx4fT9aZ.js',
      '/chats/abc',
      '/v1/chats',
    ]) {
      expect(isAppPage(path), path).toBe(false);
    }
  });
});
