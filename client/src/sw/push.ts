// The service worker's Web Push half (src/sw.ts wires it into the one worker at scope /).
//
// On `push`: the server's JSON payload, {title, body, chat_id, message_id, count, sender},
// shown as a notification tagged `chat-<id>` (a newer one about the chat replaces it, and still
// alerts); a payload that is not that shows a plain "New message". Every push shows a
// notification, whatever it carries: Safari (an installed web app on iOS) revokes the
// subscription of a worker whose push shows nothing, and Chromium shows its own generic one.
// The fixed words are in the UI language the page told the worker (`{type: 'language',
// language}`, kept in Cache Storage so it outlives the worker), else the browser's. They copy
// the locales' `push.*` words (a copy, not an import, to keep the worker small;
// serviceWorker.test.ts checks the copy and runs these listeners against fakes).
//
// On `notificationclick`: an open window of the app is focused and asked to open the chat
// (`{type: 'open-chat', chat_id}`, usePush.ts), else a new one opens at /chats/<id>.

type Language = 'en' | 'ru';

export const WORDS: Record<Language, { newMessage: string; newMessages: Partial<Record<Intl.LDMLPluralRule, string>> }> = {
  en: {
    newMessage: 'New message',
    newMessages: { one: '{{count}} new message', other: '{{count}} new messages' },
  },
  ru: {
    newMessage: 'Новое сообщение',
    newMessages: {
      one: '{{count}} новое сообщение',
      few: '{{count}} новых сообщения',
      many: '{{count}} новых сообщений',
      other: '{{count}} нового сообщения',
    },
  },
};

const SETTINGS_CACHE = 'tutorchat-settings';
const LANGUAGE_ENTRY = '/__tutorchat/sw-language';

/** The UI language of a BCP 47 tag ("ru-RU" → "ru"), or null for one the app does not speak. */
export function languageOf(tag: unknown): Language | null {
  const primary = typeof tag === 'string' ? tag.trim().toLowerCase().split(/[-_]/)[0] : '';
  return primary === 'en' || primary === 'ru' ? primary : null;
}

/** "3 new messages", in `language`. */
export function countText(language: Language, count: number): string {
  const forms = WORDS[language].newMessages;
  const form = new Intl.PluralRules(language).select(count);
  return (forms[form] ?? forms.other ?? '').replace('{{count}}', String(count));
}

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

export interface ShownNotification {
  title: string;
  options: NotificationOptions & { renotify: boolean };
}

/** The notification to show for a push's payload (parsed JSON, or null). */
export function notificationOf(payload: unknown, language: Language): ShownNotification {
  const words = WORDS[language];
  const fields = (payload !== null && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
  const chatId = isId(fields.chat_id) ? fields.chat_id : null;
  if (chatId === null) {
    return { title: words.newMessage, options: { tag: 'tutorchat', renotify: true, lang: language, data: {} } };
  }
  const count = Number.isSafeInteger(fields.count) && (fields.count as number) > 1 ? (fields.count as number) : 1;
  const preview = text(fields.body);
  const body = count > 1 ? [countText(language, count), preview].filter(Boolean).join(' · ') : preview;
  return {
    title: text(fields.title) || text(fields.sender) || words.newMessage,
    options: {
      body,
      tag: `chat-${chatId}`,
      renotify: true,
      lang: language,
      data: { chat_id: chatId, message_id: isId(fields.message_id) ? fields.message_id : null },
    },
  };
}

/** A push's data as JSON, or null when it has none or is not JSON. */
function payloadOf(data: PushMessageData | null): unknown {
  if (!data) return null;
  try {
    return data.json();
  } catch {
    return null;
  }
}

/** What of the worker's global scope the push half uses (fakes in the tests). */
export interface PushScope {
  location: { origin: string };
  navigator?: { language?: string };
  caches: Pick<CacheStorage, 'open'>;
  registration: Pick<ServiceWorkerRegistration, 'showNotification'>;
  clients: Pick<Clients, 'matchAll' | 'openWindow'>;
  addEventListener(type: string, listener: (event: never) => void): void;
}

interface WindowLike {
  url: string;
  focused: boolean;
  visibilityState: string;
  focus(): Promise<WindowLike>;
  postMessage(message: unknown): void;
}

/** The window of the app to bring forward: a focused one first, never a guest's inquiry page. */
export function appWindow<W extends WindowLike>(windows: readonly W[], origin: string): W | null {
  const ours = windows.filter((client) => {
    try {
      const url = new URL(client.url);
      return url.origin === origin && !url.pathname.startsWith('/inquiry/');
    } catch {
      return false;
    }
  });
  return ours.find((c) => c.focused) ?? ours.find((c) => c.visibilityState === 'visible') ?? ours[0] ?? null;
}

/** Adds the `message` (language), `push` and `notificationclick` listeners to the worker. */
export function listenForPush(scope: PushScope): void {
  async function savedLanguage(): Promise<Language | null> {
    try {
      const entry = await (await scope.caches.open(SETTINGS_CACHE)).match(LANGUAGE_ENTRY);
      return entry ? languageOf(await entry.text()) : null;
    } catch {
      return null;
    }
  }

  async function saveLanguage(language: Language): Promise<void> {
    try {
      const cache = await scope.caches.open(SETTINGS_CACHE);
      await cache.put(LANGUAGE_ENTRY, new Response(language, { headers: { 'content-type': 'text/plain' } }));
    } catch {
      // not kept: the browser's language until the page says again
    }
  }

  async function showPush(data: PushMessageData | null): Promise<void> {
    const language = (await savedLanguage()) ?? languageOf(scope.navigator?.language) ?? 'en';
    const { title, options } = notificationOf(payloadOf(data), language);
    await scope.registration.showNotification(title, options);
  }

  async function openChat(data: unknown): Promise<void> {
    const chatId = data && isId((data as { chat_id?: unknown }).chat_id) ? (data as { chat_id: number }).chat_id : null;
    const windows = (await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })) as unknown as WindowLike[];
    const app = appWindow(windows, scope.location.origin);
    if (app) {
      const focused = (await app.focus().catch(() => null)) ?? app;
      if (chatId !== null) focused.postMessage({ type: 'open-chat', chat_id: chatId });
      return;
    }
    await scope.clients.openWindow(chatId === null ? '/' : `/chats/${chatId}`);
  }

  scope.addEventListener('message', (event: ExtendableMessageEvent) => {
    const data = event.data as { type?: unknown; language?: unknown } | null;
    const language = data && data.type === 'language' ? languageOf(data.language) : null;
    if (language !== null) event.waitUntil(saveLanguage(language));
  });

  scope.addEventListener('push', (event: PushEvent) => {
    event.waitUntil(showPush(event.data));
  });

  scope.addEventListener('notificationclick', (event: NotificationEvent) => {
    event.notification.close();
    event.waitUntil(openChat(event.notification.data));
  });
}
