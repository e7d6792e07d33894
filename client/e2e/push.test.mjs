// End-to-end: Web Push in headless Chromium (docs/push.md), with no push service reachable.
//
// What is real: the server (a replica with a VAPID key beside the usual two), the app's
// "Enable notifications" control and service worker (public/sw.js), Chromium's Push API and
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
// The tests run in order and share the pages: each step builds on the last.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import {
  CHROMIUM,
  RESULTS_DIR,
  SERVER_BIN,
  freePort,
  killOnExit,
  launchBrowser,
  openPage,
  startCluster,
} from './harness.mjs';

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

async function screenshot(page, name) {
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`) });
}

/** A same-origin API call from the page, as the app makes it (cookie and Origin included). */
function api(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    { method, path, body },
  );
}

async function signIn(page, email) {
  await page.getByRole('button', { name: new RegExp(email.replace(/[.]/g, '\\.')) }).click();
  await page.getByRole('navigation', { name: /^(Chats|Чаты)$/ }).waitFor();
}

async function waitLive(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid="connection"]')?.dataset.state === 'live');
}

/** The notifications control's state (`data-state`: checking, off, on, denied…), once it is `state`. */
async function waitControl(page, state) {
  await page.locator(`[data-testid="notifications"][data-state="${state}"]`).waitFor();
}

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
  // The server has a key to offer; nothing was asked of the browser or registered on load.
  const key = await api(page, 'GET', '/api/push/vapid-public-key');
  assert.deepEqual(key, { status: 200, body: { public_key: vapid.publicKey } });
  assert.equal(await page.evaluate(() => Notification.permission), 'default');
  assert.deepEqual(await page.evaluate(() => window.permissionRequests), []);
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/')) ?? null), null);
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
  verifyVapid(pushed.headers.authorization, service.url);
  const payload = JSON.parse(pushed.payload);
  pushed.messageId = ids[2];
  assert.deepEqual(payload, { title: IVAN, body: AWAY[2], chat_id: chatId, message_id: ids[2], count: 3, sender: IVAN });

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
  await tab.getByText(AWAY[2], { exact: true }).waitFor();
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
  await page.getByText(AWAY[2], { exact: true }).waitFor();
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

async function expectEventually(read, expected, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = await read();
    if (last === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(last, expected);
}

// ---- VAPID keys and the server's push ---------------------------------------------------------

/** A fresh key pair from `tutorchat vapid-keys`: { privateKey, publicKey } (base64url). */
function vapidKeys() {
  const run = spawnSync(SERVER_BIN, ['vapid-keys'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const privateKey = /^PUSH_VAPID_PRIVATE_KEY=(\S+)$/m.exec(run.stdout)?.[1];
  const publicKey = /^# (B[A-Za-z0-9_-]{86})$/m.exec(run.stdout)?.[1];
  assert.ok(privateKey && publicKey, `vapid-keys printed:\n${run.stdout}`);
  return { privateKey, publicKey };
}

/** Checks a push's `Authorization: vapid t=<JWT>, k=<key>`: the school's key, signed by it, for `audience`. */
function verifyVapid(authorization, audience) {
  const match = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(authorization ?? '');
  assert.ok(match, `Authorization: ${authorization}`);
  const [, header, claims, signature, key] = match;
  assert.equal(key, vapid.publicKey);
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const signed = verify('sha256', Buffer.from(`${header}.${claims}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  assert.ok(signed, 'the VAPID token is signed with the school’s key');
  assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url')), { typ: 'JWT', alg: 'ES256' });
  const body = JSON.parse(Buffer.from(claims, 'base64url'));
  assert.equal(body.aud, audience);
  assert.equal(body.sub, SUBJECT);
  assert.ok(body.exp > Date.now() / 1000);
}

/** The plaintext of an `aes128gcm` Web Push body (RFC 8291, RFC 8188: one record) for `device`'s keys. */
function decrypt(body, device) {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20];
  const serverKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  assert.ok(record.length <= recordSize, 'one record');
  const secret = device.ecdh.computeSecret(serverKey);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), device.publicKey, serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, device.auth, info, 32));
  const key = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAuthTag(record.subarray(-16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, -16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  assert.equal(padded[end], 2, 'the last record ends with its delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/**
 * A push service on the loopback: devices (key pairs) subscribe at `/push/<n>`; it answers every
 * push 201 and keeps it, decrypted, for `next(device)`.
 */
async function startPushService() {
  const port = await freePort();
  const devices = new Map();
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const device = devices.get(request.url);
      if (request.method !== 'POST' || !device) {
        response.writeHead(404).end();
        return;
      }
      try {
        device.pushes.push({ headers: request.headers, payload: decrypt(Buffer.concat(chunks), device) });
        response.writeHead(201).end();
      } catch (error) {
        device.pushes.push({ headers: request.headers, error });
        response.writeHead(400).end();
      }
      device.waiters.forEach((wake) => wake());
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    url,
    newDevice() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const device = { ecdh, publicKey: ecdh.getPublicKey(), auth: randomBytes(16), pushes: [], waiters: new Set() };
      const path = `/push/${devices.size + 1}`;
      devices.set(path, device);
      device.subscription = {
        endpoint: `${url}${path}`,
        expirationTime: null,
        keys: { p256dh: device.publicKey.toString('base64url'), auth: device.auth.toString('base64url') },
      };
      return device;
    },
    /** The device's first push not taken yet. */
    next(device, timeoutMs) {
      return new Promise((resolve, reject) => {
        const take = () => {
          if (device.pushes.length === 0) return;
          device.waiters.delete(take);
          clearTimeout(timer);
          const pushed = device.pushes.shift();
          if (pushed.error) reject(pushed.error);
          else resolve(pushed);
        };
        const timer = setTimeout(() => {
          device.waiters.delete(take);
          reject(new Error(`no push arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        device.waiters.add(take);
        take();
      });
    },
  };
}

// ---- a stand-in for GCM ---------------------------------------------------------------------

/**
 * GCM's checkin (a protobuf AndroidCheckinResponse with a device id and security token) and
 * registration (`token=…`) endpoints, as Chromium's GCM client speaks to them
 * (google_apis/gcm/engine/checkin_request.cc, registration_request.cc). Keeps the registration
 * forms it was sent.
 */
async function startFakeGcm() {
  const registrations = [];
  let tokens = 0;
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      if (request.method === 'POST' && request.url === '/checkin') {
        const fixed64 = (tag, value) => {
          const bytes = Buffer.alloc(9);
          bytes[0] = tag;
          bytes.writeBigUInt64LE(value, 1);
          return bytes;
        };
        const answer = Buffer.concat([
          Buffer.from([0x08, 0x01]), // 1: stats_ok = true
          Buffer.from([0x48, 0x00]), // 9: settings_diff = false (no settings: the defaults)
          fixed64(0x39, 4_815_162_342n), // 7: android_id
          fixed64(0x41, 1_123_581_321n), // 8: security_token
        ]);
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(answer);
      } else if (request.method === 'POST' && request.url === '/register') {
        registrations.push(new URLSearchParams(body.toString('utf8')));
        response.writeHead(200, { 'content-type': 'text/plain' }).end(`token=gcm-token-${++tokens}`);
      } else {
        response.writeHead(404).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, registrations, url: `http://127.0.0.1:${server.address().port}` };
}

// ---- the desktop's notification server, over D-Bus ------------------------------------------

/** A private session bus: `dbus-daemon` listening on a socket in `dir`. */
async function startBus(dir) {
  const config = join(dir, 'bus.conf');
  const socket = join(dir, 'bus.sock');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
`,
  );
  const child = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  const address = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk));
    child.once('error', (error) => reject(new Error(`cannot start dbus-daemon (apt-get install dbus-daemon): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}): ${err}`)));
  });
  return { address, socket, child };
}

// The D-Bus wire format, as much as a notification server needs: little-endian messages,
// the basic types, arrays, structs, dict entries and variants.
const ALIGN = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1, h: 4 };

/** The complete types of a signature ("sa{sv}i" → ["s", "a{sv}", "i"]). */
function splitTypes(signature) {
  const end = (i) => {
    if (signature[i] === 'a') return end(i + 1);
    if (signature[i] === '(' || signature[i] === '{') {
      const close = signature[i] === '(' ? ')' : '}';
      let j = i + 1;
      while (signature[j] !== close) j = end(j);
      return j + 1;
    }
    return i + 1;
  };
  const types = [];
  for (let i = 0; i < signature.length; i = end(i)) types.push(signature.slice(i, end(i)));
  return types;
}

class DBusWriter {
  bytes = [];
  pad(n) {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  raw(buffer) {
    for (const byte of buffer) this.bytes.push(byte);
  }
  u32(value) {
    this.pad(4);
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.raw(b);
  }
  write(type, value) {
    switch (type[0]) {
      case 'y':
        return this.bytes.push(value);
      case 'b':
        return this.u32(value ? 1 : 0);
      case 'u':
        return this.u32(value);
      case 'i': {
        this.pad(4);
        const b = Buffer.alloc(4);
        b.writeInt32LE(value);
        return this.raw(b);
      }
      case 's':
      case 'o': {
        const b = Buffer.from(value, 'utf8');
        this.u32(b.length);
        this.raw(b);
        return this.bytes.push(0);
      }
      case 'g':
        this.bytes.push(value.length);
        this.raw(Buffer.from(value, 'latin1'));
        return this.bytes.push(0);
      case 'v':
        this.write('g', value[0]);
        return this.write(value[0], value[1]);
      case 'a': {
        this.u32(0);
        const at = this.bytes.length - 4;
        this.pad(ALIGN[type[1]]);
        const start = this.bytes.length;
        for (const item of value) this.write(type.slice(1), item);
        const length = Buffer.alloc(4);
        length.writeUInt32LE(this.bytes.length - start);
        this.bytes.splice(at, 4, ...length);
        return;
      }
      case '(':
      case '{':
        this.pad(8);
        splitTypes(type.slice(1, -1)).forEach((t, k) => this.write(t, value[k]));
        return;
      default:
        throw new Error(`cannot write D-Bus type ${type}`);
    }
  }
  buffer() {
    return Buffer.from(this.bytes);
  }
}

class DBusReader {
  constructor(buffer, at = 0) {
    this.b = buffer;
    this.at = at;
  }
  read(type) {
    this.at += (ALIGN[type[0]] - (this.at % ALIGN[type[0]])) % ALIGN[type[0]];
    const { b } = this;
    const take = (n, value) => ((this.at += n), value);
    switch (type[0]) {
      case 'y':
        return take(1, b[this.at]);
      case 'b':
        return take(4, b.readUInt32LE(this.at) !== 0);
      case 'n':
        return take(2, b.readInt16LE(this.at));
      case 'q':
        return take(2, b.readUInt16LE(this.at));
      case 'i':
        return take(4, b.readInt32LE(this.at));
      case 'u':
      case 'h':
        return take(4, b.readUInt32LE(this.at));
      case 'x':
        return take(8, b.readBigInt64LE(this.at));
      case 't':
        return take(8, b.readBigUInt64LE(this.at));
      case 'd':
        return take(8, b.readDoubleLE(this.at));
      case 's':
      case 'o': {
        const n = b.readUInt32LE(this.at);
        return take(4 + n + 1, b.toString('utf8', this.at + 4, this.at + 4 + n));
      }
      case 'g': {
        const n = b[this.at];
        return take(1 + n + 1, b.toString('latin1', this.at + 1, this.at + 1 + n));
      }
      case 'v': {
        const signature = this.read('g');
        return [signature, this.read(signature)];
      }
      case 'a': {
        const n = b.readUInt32LE(this.at);
        this.at += 4;
        const inner = type.slice(1);
        this.at += (ALIGN[inner[0]] - (this.at % ALIGN[inner[0]])) % ALIGN[inner[0]];
        const end = this.at + n;
        const items = [];
        while (this.at < end) items.push(this.read(inner));
        return items;
      }
      case '(':
      case '{':
        return splitTypes(type.slice(1, -1)).map((t) => this.read(t));
      default:
        throw new Error(`cannot read D-Bus type ${type}`);
    }
  }
}

/** The header fields: their codes and types. */
const FIELDS = {
  path: [1, 'o'],
  interface: [2, 's'],
  member: [3, 's'],
  error: [4, 's'],
  replySerial: [5, 'u'],
  destination: [6, 's'],
  sender: [7, 's'],
  signature: [8, 'g'],
};
const KIND = { call: 1, reply: 2, error: 3, signal: 4 };

function encodeMessage(kind, serial, fields, signature = '', body = []) {
  const payload = new DBusWriter();
  splitTypes(signature).forEach((t, k) => payload.write(t, body[k]));
  const content = payload.buffer();
  const header = new DBusWriter();
  header.raw([0x6c, kind, kind === KIND.call ? 0 : 1, 1]); // little-endian; replies and signals want no reply
  header.u32(content.length);
  header.u32(serial);
  const list = Object.entries({ ...fields, signature: signature || undefined })
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [FIELDS[name][0], [FIELDS[name][1], value]]);
  header.write('a(yv)', list);
  header.pad(8);
  return Buffer.concat([header.buffer(), content]);
}

/** One message from the start of `buffer`, or null while it is incomplete. */
function decodeMessage(buffer) {
  if (buffer.length < 16) return null;
  assert.equal(buffer[0], 0x6c, 'a little-endian D-Bus message');
  const fieldsLength = buffer.readUInt32LE(12);
  const bodyAt = 16 + fieldsLength + ((8 - ((16 + fieldsLength) % 8)) % 8);
  const size = bodyAt + buffer.readUInt32LE(4);
  if (buffer.length < size) return null;
  const message = { kind: buffer[1], serial: buffer.readUInt32LE(8), body: [] };
  for (const [code, [, value]] of new DBusReader(buffer, 12).read('a(yv)')) {
    const name = Object.keys(FIELDS).find((key) => FIELDS[key][0] === code);
    if (name) message[name] = value;
  }
  if (message.signature) {
    const reader = new DBusReader(buffer.subarray(bodyAt, size));
    message.body = splitTypes(message.signature).map((t) => reader.read(t));
  }
  return { message, size };
}

/**
 * The desktop's notification server (org.freedesktop.Notifications) on the bus at `socket`:
 * `shown` holds what Chromium shows ({ id, app, summary, body, actions, hints }), `click(id)`
 * clicks one as a desktop does (the ActionInvoked signal with the "default" action).
 */
async function startNotificationServer(socket) {
  const connection = createConnection(socket);
  await new Promise((resolve, reject) => {
    connection.once('connect', resolve);
    connection.once('error', reject);
  });
  connection.write(`\0AUTH EXTERNAL ${Buffer.from(String(process.getuid())).toString('hex')}\r\n`);
  await new Promise((resolve, reject) => {
    let line = '';
    const onData = (chunk) => {
      line += chunk.toString('latin1');
      if (!line.includes('\r\n')) return;
      connection.off('data', onData);
      if (line.startsWith('OK ')) resolve();
      else reject(new Error(`D-Bus refused the connection: ${line.trim()}`));
    };
    connection.on('data', onData);
  });
  connection.write('BEGIN\r\n');

  let serial = 0;
  let nextId = 1;
  let received = Buffer.alloc(0);
  const calls = new Map();
  const shown = [];
  const watchers = new Set();
  const send = (kind, fields, signature, body) => {
    connection.write(encodeMessage(kind, ++serial, fields, signature, body));
    return serial;
  };
  const reply = (call, signature, body) => send(KIND.reply, { replySerial: call.serial, destination: call.sender }, signature, body);
  const signal = (member, signature, body) =>
    send(KIND.signal, { path: '/org/freedesktop/Notifications', interface: 'org.freedesktop.Notifications', member }, signature, body);
  const changed = () => watchers.forEach((watch) => watch());
  const busCall = (member, signature, body) =>
    new Promise((resolve, reject) => {
      const s = send(
        KIND.call,
        { path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, destination: 'org.freedesktop.DBus' },
        signature,
        body,
      );
      calls.set(s, { resolve, reject });
    });

  const onCall = (call) => {
    const ours = !call.interface || call.interface === 'org.freedesktop.Notifications';
    if (ours && call.member === 'GetCapabilities') return reply(call, 'as', [['actions', 'body']]);
    if (ours && call.member === 'GetServerInformation') return reply(call, 'ssss', ['tutorchat-e2e', 'tutorchat', '1.0', '1.2']);
    if (ours && call.member === 'Notify') {
      const [app, replaces, , summary, body, actions, hints] = call.body;
      const id = replaces || nextId++;
      const notification = { id, app, summary, body, actions, hints: Object.fromEntries(hints.map(([k, [, v]]) => [k, v])) };
      const at = shown.findIndex((n) => n.id === id);
      if (at >= 0) shown[at] = notification;
      else shown.push(notification);
      reply(call, 'u', [id]);
      return changed();
    }
    if (ours && call.member === 'CloseNotification') {
      const [id] = call.body;
      const at = shown.findIndex((n) => n.id === id);
      if (at >= 0) shown.splice(at, 1);
      reply(call, '', []);
      signal('NotificationClosed', 'uu', [id, 3]); // 3: closed by a call to CloseNotification
      return changed();
    }
    send(KIND.error, { replySerial: call.serial, destination: call.sender, error: 'org.freedesktop.DBus.Error.UnknownMethod' }, 's', [
      `no method ${call.interface}.${call.member} here`,
    ]);
  };

  connection.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    for (let next = decodeMessage(received); next; next = decodeMessage(received)) {
      received = received.subarray(next.size);
      const { message } = next;
      if (message.kind === KIND.call) onCall(message);
      else if (message.kind === KIND.reply || message.kind === KIND.error) {
        const waiting = calls.get(message.replySerial);
        calls.delete(message.replySerial);
        if (message.kind === KIND.reply) waiting?.resolve(message.body);
        else waiting?.reject(new Error(`${message.error}: ${message.body[0]}`));
      }
    }
  });

  await busCall('Hello');
  const [owned] = await busCall('RequestName', 'su', ['org.freedesktop.Notifications', 4]); // 4: do not queue
  assert.equal(owned, 1, 'this is the primary owner of org.freedesktop.Notifications');

  return {
    shown,
    /** Waits until `predicate(shown)` gives something, and returns it. */
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = predicate(shown);
          if (!found) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`the desktop never showed that within ${timeoutMs} ms; it shows ${JSON.stringify(shown)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    click(id) {
      signal('ActionInvoked', 'us', [id, 'default']);
    },
    close() {
      connection.destroy();
    },
  };
}
