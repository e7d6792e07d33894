// Web Push in this tab: the state of the "Enable notifications" control (push.ts), the browser's
// side of its steps (pushFlow.ts's `PushEnv`: Notification, the service worker at /sw.js with
// scope /, its PushManager, localStorage), the UI language told to the worker (it words the
// notifications), and the worker's request to open a chat (a notification was clicked).

import { useCallback, useEffect, useReducer, useRef } from 'react';

import { useLocale } from '../i18n';
import { errorText } from '../errors';
import { type PushState, initialPush, openChatRequest, pushReducer } from './push';
import { PUSH_OWNER_KEY, type PushEnv, type PushSub, abandon, disable, enable, probe, subscriptionBody } from './pushFlow';
import { deleteSubscription, saveSubscription, vapidPublicKey } from './pushApi';
import { useSession } from '../session/SessionContext';
import { useLatest } from '../useLatest';

export const WORKER_URL = '/sw.js';

/** How long the browser's push service gets to give a subscription (it may be unreachable). */
const SUBSCRIBE_TIMEOUT_MS = 30_000;

/** The browser's push service did not answer in time. */
class PushServiceTimeout extends Error {}

function isSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    window.isSecureContext &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window
  );
}

const registration = () => navigator.serviceWorker.getRegistration('/');

function wrap(sub: PushSubscription): PushSub {
  return {
    endpoint: sub.endpoint,
    key: sub.options.applicationServerKey,
    body: () => subscriptionBody(sub.toJSON()),
    unsubscribe: () => sub.unsubscribe(),
  };
}

function storage(): Storage | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

/** The browser's side of Web Push. */
export function browserPush(): PushEnv {
  return {
    supported: isSupported(),
    permission: () => Notification.permission,
    requestPermission: () => Notification.requestPermission(),
    current: async () => {
      const sub = await (await registration())?.pushManager.getSubscription();
      return sub ? wrap(sub) : null;
    },
    subscribe: async (key) => {
      await navigator.serviceWorker.register(WORKER_URL, { scope: '/' });
      const ready = await navigator.serviceWorker.ready;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PushServiceTimeout('push service timeout')), SUBSCRIBE_TIMEOUT_MS);
      });
      const subscribing = ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      subscribing.catch(() => {}); // a late failure, after the timeout, is nobody's to hear
      try {
        return wrap(await Promise.race([subscribing, late]));
      } finally {
        clearTimeout(timer);
      }
    },
    serverKey: vapidPublicKey,
    save: saveSubscription,
    forget: deleteSubscription,
    owner: () => storage()?.getItem(PUSH_OWNER_KEY) ?? null,
    setOwner: (owner) => {
      if (owner === null) storage()?.removeItem(PUSH_OWNER_KEY);
      else storage()?.setItem(PUSH_OWNER_KEY, owner);
    },
  };
}

/** Tells the worker (if there is one) the UI language, for the words of its notifications. */
async function tellLanguage(language: string): Promise<void> {
  if (!isSupported()) return;
  const worker = (await registration())?.active;
  worker?.postMessage({ type: 'language', language });
}

/**
 * Signing out turns this browser's notifications off (a shared computer must not show the next
 * person someone else's messages). Best effort, and never for long.
 */
export async function turnOffPushOnSignOut(): Promise<void> {
  const env = browserPush();
  if (!env.supported) return;
  await Promise.race([disable(env).catch(() => {}), new Promise((resolve) => setTimeout(resolve, 3_000))]);
}

/**
 * The session ended without a sign-out (a 401): this browser's notifications stop (the next
 * person here must not get the last one's). Best effort, and never for long.
 */
export async function dropPushOfEndedSession(): Promise<void> {
  const env = browserPush();
  if (!env.supported) {
    env.setOwner(null);
    return;
  }
  await Promise.race([abandon(env).catch(() => {}), new Promise((resolve) => setTimeout(resolve, 3_000))]);
}

export interface PushControl {
  state: PushState;
  /** Asks the browser's permission (call it from the click itself), subscribes, tells the server. */
  enable: () => void;
  disable: () => void;
  /** The error was read (or dismissed). */
  dismissError: () => void;
}

/** For the person signed in (`useSession`): this browser's subscription is theirs only. */
export function usePush(onOpenChat: (chatId: number) => void): PushControl {
  const { t, language } = useLocale();
  const me = useSession().me.id;
  const [state, dispatch] = useReducer(pushReducer, initialPush);
  const env = useRef<PushEnv | null>(null);
  env.current ??= browserPush();
  const words = useLatest(t);

  useEffect(() => {
    let current = true;
    probe(env.current!, me).then(
      (status) => current && dispatch({ type: 'settled', status }),
      () => current && dispatch({ type: 'settled', status: 'unavailable' }), // nothing to offer now
    );
    return () => {
      current = false;
    };
  }, [me]);

  useEffect(() => {
    if (state.status === 'on') void tellLanguage(language).catch(() => {});
  }, [language, state.status]);

  // A notification was clicked while this tab was open: the worker asks it to open the chat.
  useEffect(() => {
    if (!isSupported()) return;
    const container = navigator.serviceWorker;
    const onMessage = (event: MessageEvent) => {
      const chatId = openChatRequest(event.data);
      if (chatId !== null) onOpenChat(chatId);
    };
    container.addEventListener('message', onMessage);
    container.startMessages();
    return () => container.removeEventListener('message', onMessage);
  }, [onOpenChat]);

  const run = useCallback((busy: 'enabling' | 'disabling', step: () => Promise<PushState['status']>) => {
    dispatch({ type: 'started', busy });
    step().then(
      (status) => dispatch({ type: 'settled', status }),
      (error: unknown) => {
        const t = words.current;
        dispatch({ type: 'failed', error: error instanceof PushServiceTimeout ? t('push.timeout') : errorText(error, t) });
      },
    );
  }, [words]);

  return {
    state,
    enable: useCallback(() => run('enabling', () => enable(env.current!, me)), [run, me]),
    disable: useCallback(() => run('disabling', () => disable(env.current!)), [run]),
    dismissError: useCallback(() => dispatch({ type: 'errorSeen' }), []),
  };
}
