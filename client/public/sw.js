// Tutorchat's service worker: Web Push notifications, nothing else (no fetch handler, no cache
// of the app). Served as is at /sw.js with scope / (Vite copies public/ to the build's root).
//
// On `push`: the server's JSON payload, {title, body, chat_id, message_id, count, sender},
// shown as a notification tagged `chat-<id>` (a newer one about the chat replaces it, and still
// alerts); a payload that is not that shows a plain "New message". Its fixed words are in the
// UI language the page told the worker (`{type: 'language', language}`, kept in Cache Storage
// so it outlives the worker), else the browser's. They copy the locales' `push.*` words
// (src/locales; src/serviceWorker.test.ts checks the copy and runs this file in a sandbox).
//
// On `notificationclick`: an open tab of the app is focused and asked to open the chat
// (`{type: 'open-chat', chat_id}`, usePush.ts), else a new one opens at /chats/<id>.

'use strict';

const WORDS = {
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
function languageOf(tag) {
  const primary = typeof tag === 'string' ? tag.trim().toLowerCase().split(/[-_]/)[0] : '';
  return Object.prototype.hasOwnProperty.call(WORDS, primary) ? primary : null;
}

/** "3 new messages", in `language`. */
function countText(language, count) {
  const forms = WORDS[language].newMessages;
  const form = new Intl.PluralRules(language).select(count);
  return (forms[form] || forms.other).replace('{{count}}', String(count));
}

const isId = (value) => Number.isSafeInteger(value) && value > 0;
const text = (value) => (typeof value === 'string' ? value.trim() : '');

/** The notification to show for a push's payload (parsed JSON, or null): {title, options}. */
function notificationOf(payload, language) {
  const words = WORDS[language] || WORDS.en;
  const fields = payload !== null && typeof payload === 'object' ? payload : {};
  const chatId = isId(fields.chat_id) ? fields.chat_id : null;
  if (chatId === null) {
    return { title: words.newMessage, options: { tag: 'tutorchat', renotify: true, lang: language, data: {} } };
  }
  const count = Number.isSafeInteger(fields.count) && fields.count > 1 ? fields.count : 1;
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
function payloadOf(data) {
  if (!data) return null;
  try {
    return data.json();
  } catch {
    return null;
  }
}

async function savedLanguage() {
  try {
    const cache = await self.caches.open(SETTINGS_CACHE);
    const entry = await cache.match(LANGUAGE_ENTRY);
    return entry ? languageOf(await entry.text()) : null;
  } catch {
    return null;
  }
}

async function saveLanguage(language) {
  try {
    const cache = await self.caches.open(SETTINGS_CACHE);
    await cache.put(LANGUAGE_ENTRY, new Response(language, { headers: { 'content-type': 'text/plain' } }));
  } catch {
    // not kept: the browser's language until the page says again
  }
}

async function currentLanguage() {
  return (await savedLanguage()) || languageOf(self.navigator && self.navigator.language) || 'en';
}

async function showPush(data) {
  const { title, options } = notificationOf(payloadOf(data), await currentLanguage());
  await self.registration.showNotification(title, options);
}

/** The window of the app to bring forward: a focused one first, never a guest's inquiry page. */
function appWindow(windows) {
  const ours = windows.filter((client) => {
    try {
      const url = new URL(client.url);
      return url.origin === self.location.origin && !url.pathname.startsWith('/inquiry/');
    } catch {
      return false;
    }
  });
  return ours.find((client) => client.focused) || ours.find((client) => client.visibilityState === 'visible') || ours[0] || null;
}

async function openChat(data) {
  const chatId = data && isId(data.chat_id) ? data.chat_id : null;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const app = appWindow(windows);
  if (app) {
    const focused = (await app.focus().catch(() => null)) || app;
    if (chatId !== null) focused.postMessage({ type: 'open-chat', chat_id: chatId });
    return;
  }
  await self.clients.openWindow(chatId === null ? '/' : `/chats/${chatId}`);
}

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('message', (event) => {
  const data = event.data;
  const language = data && data.type === 'language' ? languageOf(data.language) : null;
  if (language !== null) event.waitUntil(saveLanguage(language));
});

self.addEventListener('push', (event) => {
  event.waitUntil(showPush(event.data));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openChat(event.notification.data));
});
