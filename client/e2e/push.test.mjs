// End-to-end: Web Push in headless Chromium (docs/push.md), with no push service reachable.
//
// What is real: the server (a replica with a VAPID key beside the usual two), the app's
// "Enable notifications" control and service worker (src/sw.ts, built to /sw.js), Chromium's Push API and
// notification system, the server's own push (encrypted, VAPID-signed) when Мария is offline.
// What stands in for the network this machine cannot reach, and how:
//
// - Google's GCM, which Chromium registers a subscription with: a local stand-in for its checkin
//   and registration endpoints (Chromium's own switches --gcm-checkin-url and
//   --gcm-registration-url point there), so `pushManager.subscribe()` resolves with a real
//   subscription (Chromium's keys, an endpoint at jmt17.google.com: FCM's address for Chromium
//   builds of a channel other than stable, as Debian's; Google Chrome's is fcm.googleapis.com).
//   Without it, `subscribe()` never settles
//   here (Chromium retries its GCM checkin with back-off: still pending after 150 s); in
//   Playwright's usual contexts, which are incognito profiles, it rejects at once (AbortError
//   "Registration failed - permission denied": no Push API in incognito), hence the persistent
//   profile below.
// - The push service between the server and the browser: the server's push to that endpoint
//   cannot arrive, so Мария also has a second subscription (this test's keys, at a local push
//   service the replica's PUSH_SERVICES admits); the test decrypts what the server pushes there
//   (RFC 8291) and hands that payload to Chromium's service worker through the DevTools
//   protocol (ServiceWorker.deliverPushMessage), which fires the worker's `push` event.
// - The desktop's notification daemon: Chromium on Linux shows notifications through D-Bus
//   (org.freedesktop.Notifications). A private session bus (dbus-daemon) and a small
//   notification server here receive them, and "click" one the way a desktop does (the
//   ActionInvoked signal), so Chromium fires a real, trusted `notificationclick`.
//
// The stand-ins are in push/ (pushService.mjs, gcm.mjs, desktop.mjs with dbus.mjs), the page
// helpers in push/helpers.mjs. The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { CHROMIUM, RESULTS_DIR, launchBrowser, openPage, startCluster } from './harness.mjs';
import { startBus, startNotificationServer } from './push/desktop.mjs';
import { startFakeGcm } from './push/gcm.mjs';
import { api, expectEventually, screenshot, signIn, waitControl, waitLive } from './push/helpers.mjs';
import { startPushService, vapidKeys, verifyVapid } from './push/pushService.mjs';

const IVAN = 'Иван Петров';
const SUBJECT = 'mailto:it@school.example';
/** Иван's three messages while Мария is away: one notification, "3 new messages". */
const AWAY = ['Мария, вы где? 🙂', 'Завтра контрольная по алгебре', 'Повторите, пожалуйста, параграф 12 и задачи 5–9 📐'];

let cluster;
let push; // the replica with Web Push (Мария's)
let vapid; // { privateKey, publicKey } from `tutorchat vapid-keys`
let dir; // this run's files: the bus, Мария's browser profile
let bus; // the private D-Bus session bus (dbus-daemon)
let desktop; // the notification server on it
let gcm; // the stand-in for GCM's checkin and registration
let service; // the local push service (Мария's second subscription)
let maria; // Мария's browser: a persistent profile (the Push API is off in incognito ones)
let ivanBrowser;
const pages = {}; // holder (about:blank, for the DevTools session), maria (the app), ivan
let cdp; // DevTools session of Мария's browser, on the holder page
const registrations = new Map(); // service worker registrations by id (ServiceWorker domain)
let chatId; // Мария ↔ Иван
let subscription; // Chromium's, as the page posted it
let pushed; // what the server pushed to the second subscription: { headers, payload (text) }

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'tutorchat-push-e2e-'));
  vapid = vapidKeys();
  gcm = await startFakeGcm();
  service = await startPushService();
  bus = await startBus(dir);
  desktop = await startNotificationServer(bus.socket);
  cluster = await startCluster();
  push = await cluster.addReplica('replica-push', {
    PUSH_VAPID_PRIVATE_KEY: vapid.privateKey,
    PUSH_VAPID_SUBJECT: SUBJECT,
    // FCM for Google Chrome and for other Chromium builds (jmt17.google.com: Debian's, not in
    // the default list), and this test's push service, an exact origin.
    PUSH_SERVICES: `fcm.googleapis.com,jmt17.google.com,${service.url}`,
    // The text too, to see the service worker lay it out; the default (`sender`) leaves it out,
    // as the API suite shows.
    PUSH_PREVIEW: 'full',
    NOTIFY_GRACE_SECS: '2', // notify two seconds after a message, not thirty
    PRESENCE_GRACE_SECS: '1', // a closed tab counts as offline after one second, not five
    // Its pushes to Chromium's endpoint go to a proxy that is not there: never delivered, even
    // on a machine that could reach Google (whose answer could delete the subscription); the
    // local push service is reached directly.
    ...Object.fromEntries(
      ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].map((name) => [name, 'http://127.0.0.1:9']),
    ),
    NO_PROXY: '127.0.0.1',
    no_proxy: '127.0.0.1',
  });
  maria = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--gcm-checkin-url=${gcm.url}/checkin`,
      `--gcm-registration-url=${gcm.url}/register`,
      '--gcm-mcs-endpoint=https://127.0.0.1:9', // nothing listens: no messages come that way
    ],
    baseURL: push.url,
    locale: 'en-US',
    timezoneId: 'Europe/Moscow',
    reducedMotion: 'reduce',
    viewport: { width: 1280, height: 800 },
  });
  maria.setDefaultTimeout(15_000);
  // Counts the page's permission requests, and whether each came with a user's gesture (the
  // real method is called: this only looks).
  await maria.addInitScript(() => {
    const request = Notification.requestPermission.bind(Notification);
    window.permissionRequests = [];
    Notification.requestPermission = (...args) => {
      window.permissionRequests.push({ activation: navigator.userActivation.isActive });
      return request(...args);
    };
  });
  pages.holder = maria.pages()[0] ?? (await maria.newPage());
  cdp = await maria.newCDPSession(pages.holder);
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
    for (const registration of updated) registrations.set(registration.registrationId, registration);
  });
  await cdp.send('ServiceWorker.enable');
  ivanBrowser = await launchBrowser();
});

after(async () => {
  await maria?.close();
  await ivanBrowser?.close();
  await cluster?.stop();
  desktop?.close();
  bus?.child.kill();
  gcm?.server.close();
  service?.server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers ---------------------------------------------------------------------------

/** The app's service worker registration (ServiceWorker domain), once there is one. */
async function registration() {
  for (let i = 0; i < 100; i++) {
    const found = [...registrations.values()].find((r) => !r.isDeleted && r.scopeURL === `${push.url}/`);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no service worker registration for ${push.url}/: ${JSON.stringify([...registrations.values()])}`);
}

/** Hands `data` to the app's service worker as a push (its `push` event), through DevTools. */
async function deliver(data) {
  const { registrationId } = await registration();
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: push.url, registrationId, data });
}

/**
 * The notifications the worker's registration shows (`getNotifications()`): asked in `page`, or
 * with no tab of the app open, in the worker itself (running: it has just shown or closed one).
 */
async function shownByWorker(page) {
  const list = async (registration) =>
    (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, lang: n.lang, data: n.data }));
  if (page) return page.evaluate(async (list) => eval(list)(await navigator.serviceWorker.ready), list.toString());
  const worker = maria.serviceWorkers().find((w) => w.url() === `${push.url}/sw.js`);
  assert.ok(worker, 'the service worker is running');
  return worker.evaluate(async (list) => eval(list)(self.registration), list.toString());
}

// ---- the story ---------------------------------------------------------------------------

test('loading the app asks nothing; "Enable notifications" asks the browser in the click (headless Chromium answers Block, and the control says so)', async () => {
  const page = (pages.maria = await maria.newPage());
  await page.goto('/');
  await signIn(page, 'maria@demo.school');
  await waitLive(page);
  const enable = page.getByRole('button', { name: 'Enable notifications' });
  await enable.waitFor();
  // The server has a key to offer; nothing was asked of the browser on load, nor subscribed (the
  // app's one worker is registered on load, for the app's offline shell: src/sw.ts).
  const key = await api(page, 'GET', '/api/push/vapid-public-key');
  assert.deepEqual(key, { status: 200, body: { public_key: vapid.publicKey } });
  assert.equal(await page.evaluate(() => Notification.permission), 'default');
  assert.deepEqual(await page.evaluate(() => window.permissionRequests), []);
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.ready).pushManager.getSubscription()), null);
  assert.equal(await enable.getAttribute('title'), 'Get a notification of new messages while this site is closed');

  // The click asks, with the click's activation. Headless Chromium shows no prompt: it answers
  // it as blocked, so the control now says so and explains how to allow them.
  await enable.click();
  const blocked = page.getByRole('button', { name: 'Notifications blocked' });
  await blocked.waitFor();
  assert.deepEqual(await page.evaluate(() => window.permissionRequests), [{ activation: true }]);
  assert.equal(await page.evaluate(() => Notification.permission), 'denied');
  await blocked.click();
  await page.getByRole('note').filter({ hasText: 'This browser blocks notifications from this site.' }).waitFor();
  await screenshot(page, 'push-01-blocked');
  assert.ok(!gcm.registrations.some((form) => form.get('sender') === vapid.publicKey), 'nothing was subscribed');
});

test('allowed in the site settings: "Enable notifications" subscribes through the real service worker and the server accepts it (201)', async () => {
  const page = pages.maria;
  // The person allows notifications for the site in its settings (DevTools: Browser.grantPermissions)…
  await maria.grantPermissions(['notifications'], { origin: push.url });
  // …and reloads, as the explanation says.
  await page.reload();
  await waitLive(page);
  const enable = page.getByRole('button', { name: 'Enable notifications' });
  await enable.waitFor();
  assert.equal(await page.evaluate(() => Notification.permission), 'granted');
  assert.deepEqual(await page.evaluate(() => window.permissionRequests), [], 'nothing asked on this load either');

  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/push/subscriptions');
  await enable.click();
  const answer = await posted;
  await page.getByRole('button', { name: 'Disable notifications' }).waitFor();
  await waitControl(page, 'on');
  assert.deepEqual(await page.evaluate(() => window.permissionRequests), [{ activation: true }]);

  // What the page posted is Chromium's subscription, and the server accepted it.
  subscription = answer.request().postDataJSON();
  assert.equal(answer.status(), 201, await answer.text());
  assert.ok(Number.isInteger((await answer.json()).id));
  const browserSide = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration('/');
    const sub = await registration.pushManager.getSubscription();
    return {
      worker: registration.active?.scriptURL,
      scope: registration.scope,
      json: sub.toJSON(),
      key: btoa(String.fromCharCode(...new Uint8Array(sub.options.applicationServerKey))),
    };
  });
  assert.equal(browserSide.worker, `${push.url}/sw.js`);
  assert.equal(browserSide.scope, `${push.url}/`);
  assert.equal(subscription.endpoint, browserSide.json.endpoint);
  assert.deepEqual(subscription.keys, browserSide.json.keys);
  assert.match(subscription.endpoint, /^https:\/\/(jmt17\.google\.com|fcm\.googleapis\.com)\/fcm\/send\/gcm-token-\d+$/);
  assert.equal(Buffer.from(subscription.keys.p256dh, 'base64url').length, 65);
  assert.equal(Buffer.from(subscription.keys.auth, 'base64url').length, 16);
  // Subscribed with the school's key: so Chromium registered it with GCM, and the page kept it.
  assert.equal(Buffer.from(browserSide.key, 'base64').toString('base64url'), vapid.publicKey);
  assert.ok(
    gcm.registrations.some((form) => form.get('sender') === vapid.publicKey && form.get('X-subtype')?.startsWith(`wp:${push.url}/`)),
    `Chromium registered the subscription with GCM: ${gcm.registrations.map(String).join(' | ')}`,
  );
  assert.ok(registrations.size > 0, 'DevTools saw the worker registered');
  await screenshot(page, 'push-02-enabled');
});

test('Мария away: Иван\'s three messages make the server push; delivered to the service worker, it is shown and its click opens the chat in a new tab', async () => {
  const page = pages.maria;
  chatId = Number((await page.locator('[data-testid^="chat-"]').first().getAttribute('data-testid')).slice('chat-'.length));
  // Мария's second device: a subscription with this test's keys, at the local push service.
  const device = service.newDevice();
  const second = await api(page, 'POST', '/api/push/subscriptions', device.subscription);
  assert.equal(second.status, 201, JSON.stringify(second));

  const ivan = (pages.ivan = await openPage(ivanBrowser, cluster.b.url));
  await signIn(ivan, 'ivan@demo.school');
  await ivan.getByTestId(`chat-${chatId}`).click();
  await ivan.locator('[data-testid="presence"][data-online="true"]').waitFor();

  // Мария closes the app: she is offline (Иван sees it) with no tab of the app open.
  await page.close();
  delete pages.maria;
  await ivan.locator('[data-testid="presence"][data-online="false"]').waitFor({ timeout: 20_000 });
  const ids = [];
  for (const content of AWAY) {
    const sent = await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content });
    assert.equal(sent.status, 201, JSON.stringify(sent));
    ids.push(sent.body.id);
  }

  // The server pushes (to both subscriptions; Chromium's endpoint cannot be reached from here).
  pushed = await service.next(device, 20_000);
  assert.equal(pushed.headers['content-encoding'], 'aes128gcm');
  assert.equal(pushed.headers.urgency, 'high');
  assert.equal(pushed.headers.topic, `chat-${chatId}`);
  assert.ok(Number(pushed.headers.ttl) > 0);
  verifyVapid(pushed.headers.authorization, service.url, { vapid, subject: SUBJECT });
  const payload = JSON.parse(pushed.payload);
  pushed.messageId = ids[2];
  const expected = { title: IVAN, body: AWAY[2], chat_id: chatId, message_id: ids[2], count: 3, sender: IVAN };
  assert.deepEqual(payload, { ...expected, mentioned: false }, 'a direct chat mentions nobody');

  // That push, to Chromium's service worker (DevTools), is a notification on the desktop.
  await deliver(pushed.payload);
  const shown = await desktop.waitFor((all) => all.find((n) => n.summary === IVAN));
  assert.equal(shown.app, 'Chromium');
  assert.equal(shown.body, `${new URL(push.url).host}\n\n3 new messages · ${AWAY[2]}`);
  assert.ok(shown.actions.includes('default'), 'the notification can be clicked');
  assert.deepEqual(await shownByWorker(), [
    { title: IVAN, body: `3 new messages · ${AWAY[2]}`, tag: `chat-${chatId}`, lang: 'en', data: { chat_id: chatId, message_id: ids[2] } },
  ]);

  // Clicked, with no tab of the app open: a new one opens at the chat, and the notification goes.
  const opened = maria.waitForEvent('page');
  desktop.click(shown.id);
  const tab = (pages.maria = await opened);
  await tab.waitForURL(`${push.url}/chats/${chatId}`);
  await tab.locator('.message-list').getByText(AWAY[2], { exact: true }).waitFor();
  await waitLive(tab);
  await desktop.waitFor((all) => !all.some((n) => n.id === shown.id));
  assert.deepEqual(await shownByWorker(), []);
  await screenshot(tab, 'push-03-opened-from-notification');
});

test('in Russian with the app open: the notification\'s fixed words are Russian, its click brings that tab to the chat; "Disable" unsubscribes', async () => {
  const page = pages.maria;
  await waitControl(page, 'on');
  // Russian: the page tells the worker, which keeps it for its notifications.
  await page.getByRole('button', { name: 'RU', exact: true }).click();
  await page.getByRole('button', { name: 'Выключить уведомления' }).waitFor();
  // (Cache Storage: the page's origin's, where the worker keeps it.)
  await expectEventually(
    () => page.evaluate(async () => (await (await caches.open('tutorchat-settings')).match('/__tutorchat/sw-language'))?.text()),
    'ru',
  );
  // The tab is back at the inbox, no chat open.
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Чаты' }).waitFor();
  await waitLive(page);
  assert.equal(await page.getByTestId('message-pending').count(), 0);

  // The same push again (a push service may deliver one twice): now in Russian.
  await deliver(pushed.payload);
  const shown = await desktop.waitFor((all) => all.find((n) => n.summary === IVAN));
  assert.equal(shown.body, `${new URL(push.url).host}\n\n3 новых сообщения · ${AWAY[2]}`);
  assert.deepEqual(await shownByWorker(page), [
    { title: IVAN, body: `3 новых сообщения · ${AWAY[2]}`, tag: `chat-${chatId}`, lang: 'ru', data: { chat_id: chatId, message_id: pushed.messageId } },
  ]);
  // A push that is not the server's JSON still says something, in Russian.
  await deliver('not json');
  const plain = await desktop.waitFor((all) => all.find((n) => n.summary === 'Новое сообщение'));
  assert.equal(plain.body, new URL(push.url).host);

  // Clicked while the app is open: that tab opens the chat (no new tab).
  const tabs = maria.pages().length;
  desktop.click(shown.id);
  await page.waitForURL(`${push.url}/chats/${chatId}`);
  await page.locator('.message-list').getByText(AWAY[2], { exact: true }).waitFor();
  assert.equal(maria.pages().length, tabs, 'no other tab opened');
  await desktop.waitFor((all) => !all.some((n) => n.id === shown.id));
  await screenshot(page, 'push-04-focused-at-chat');

  // "Disable": the server forgets the subscription (204) and the browser drops it.
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && new URL(r.url()).pathname === '/api/push/subscriptions');
  await page.getByRole('button', { name: 'Выключить уведомления' }).click();
  const answer = await deleted;
  assert.equal(answer.status(), 204);
  assert.deepEqual(answer.request().postDataJSON(), { endpoint: subscription.endpoint });
  await page.getByRole('button', { name: 'Включить уведомления' }).waitFor();
  assert.equal(await page.evaluate(async () => (await (await navigator.serviceWorker.getRegistration('/')).pushManager.getSubscription()) ?? null), null);
  // Gone on the server too: deleting it again finds nothing.
  const again = await api(page, 'DELETE', '/api/push/subscriptions', { endpoint: subscription.endpoint });
  assert.equal(again.status, 404);
});


test('a session that ends without a sign-out (its cookie gone, a 401 on load) leaves no subscription in this browser', async () => {
  const page = pages.maria;
  // Notifications on again, for her.
  await page.getByRole('button', { name: 'Включить уведомления' }).click();
  await page.getByRole('button', { name: 'Выключить уведомления' }).waitFor();
  await waitControl(page, 'on');
  const subscribed = () =>
    page.evaluate(async () => ({
      subscription: (await (await navigator.serviceWorker.getRegistration('/'))?.pushManager.getSubscription())?.endpoint ?? null,
      owner: localStorage.getItem('tutorchat.push.owner'),
    }));
  const before = await subscribed();
  assert.ok(before.subscription !== null && before.owner !== null, JSON.stringify(before));

  // Her session ends while the app is closed (the cookie goes, as when it expires): the next
  // load is refused (401) and shows the sign-in page; the next person here must not get her
  // notifications.
  await maria.clearCookies();
  const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/me');
  await page.reload();
  assert.equal((await refused).status(), 401);
  await page.getByTestId('login-maria@demo.school').waitFor();
  await expectEventually(async () => JSON.stringify(await subscribed()), JSON.stringify({ subscription: null, owner: null }));
});
