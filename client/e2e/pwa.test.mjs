// End-to-end: the installed app, in headless Chromium against two replicas serving a copy of
// the built client (dist/), so that a test can deploy a changed build. Мария (a student, on a
// phone) and Иван (her teacher, desktop) share a chat. In order, sharing the pages:
// - install criteria: the manifest parses with what installing needs (Chromium's own checks,
//   through DevTools' Page.getInstallabilityErrors), in the reader's language (whose strings
//   are the only ones the page downloads), and the one service worker controls the page after
//   a reload; navigations to the server's own paths never get the app's page from it;
// - the badge: the Badging API is called with the unread total (headless Chromium has no icon to
//   badge, so an init script records the calls the page makes);
// - offline and back: reloaded without a network, the chat list and the conversation read from
//   the device; with the network back, live again;
// - the outbox: a message written offline shows pending, survives an offline reload, and reaches
//   Иван exactly once when the network returns; the same in a chat never opened on the device
//   (opened empty, its history loaded when the network returns);
// - the update: a changed build deployed, the page says "A new version is available — Reload"
//   (in Russian, hers); nothing changes until the click, then the page reloads under the new worker;
// - signing out deletes what the device kept of her.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { DESKTOP, DIST_DIR, PHONE, launchBrowser, openPage, startCluster } from './harness.mjs';
import { axeViolations } from './a11y/axe.mjs';
import { api, signIn, waitConnection, waitForMessage, waitUnreadCount } from './app/helpers.mjs';

const dist = mkdtempSync(join(tmpdir(), 'tutorchat-pwa-dist-'));
let cluster;
let browser;
const pages = {};
let chatId; // Мария ↔ Иван

/** Records the page's Badging API calls (headless Chromium shows no badge): `window.badgeCalls`. */
function recordBadge() {
  window.badgeCalls = [];
  navigator.setAppBadge = (count) => Promise.resolve(void window.badgeCalls.push(count ?? 0));
  navigator.clearAppBadge = () => Promise.resolve(void window.badgeCalls.push('cleared'));
}

/** One value `sql` selects, as psql prints it (the replicas' private PostgreSQL). */
function psql(sql) {
  const run = spawnSync('psql', [cluster.a.databaseUrl(), '-q', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${sql}: ${run.stderr}`);
  return run.stdout.trim();
}

/** Which languages' string chunks the page itself fetched (`/assets/en-….js`, `/assets/ru-….js`). */
const languagesLoaded = (page) =>
  page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => /\/assets\/(en|ru)-[^/]*\.js$/.exec(new URL(e.name).pathname)?.[1])
      .filter(Boolean),
  );

const controller = (page) => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null);
/** Waits until the page's last Badging API call set `count` (0: cleared). Polled: rAF stops in a page behind another. */
const waitBadge = (page, count) =>
  page.waitForFunction((count) => (window.badgeCalls.at(-1) ?? 'cleared') === (count || 'cleared'), count, { polling: 100 });

before(async () => {
  cpSync(DIST_DIR, dist, { recursive: true });
  cluster = await startCluster({ env: { STATIC_DIR: dist } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
  rmSync(dist, { recursive: true, force: true });
});

test('installable: a manifest Chromium accepts, in the reader’s language, and one worker controlling the page', async () => {
  const maria = (pages.maria = await openPage(browser, cluster.a.url, { ...PHONE, locale: 'ru-RU' }, '/'));
  await maria.context().addInitScript(recordBadge);
  await maria.getByTestId('login-maria@demo.school').click();
  await maria.locator('nav.chat-list').waitFor();
  const href = await maria.evaluate(() => document.querySelector('link[rel="manifest"]').getAttribute('href'));
  assert.equal(href, '/manifest.ru.webmanifest', 'a Russian reader installs the Russian app');
  assert.deepEqual(await languagesLoaded(maria), ['ru'], 'a Russian reader downloads the Russian strings only');

  const answer = await maria.request.get(href);
  assert.equal(answer.headers()['content-type'], 'application/manifest+json');
  const manifest = await answer.json();
  assert.equal(manifest.name, 'Tutorchat: чат школы');
  assert.deepEqual([manifest.id, manifest.start_url, manifest.scope, manifest.display], ['/', '/', '/', 'standalone']);
  for (const icon of manifest.icons) {
    const png = await maria.request.get(icon.src);
    assert.equal(png.headers()['content-type'], 'image/png', icon.src);
    assert.deepEqual([...(await png.body()).subarray(1, 4)], [...Buffer.from('PNG')], icon.src);
  }
  assert.ok(manifest.icons.some((icon) => icon.purpose === 'maskable' && icon.sizes === '512x512'));

  // The worker installs on the first visit and controls every page loaded after it.
  await maria.evaluate(() => navigator.serviceWorker.ready);
  await maria.reload();
  await maria.locator('nav.chat-list').waitFor();
  assert.equal(await controller(maria), `${cluster.a.url}/sw.js`);
  assert.equal(await maria.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length), 1, 'one worker');

  // Chromium's own installability checks, on the page the worker now controls.
  const cdp = await maria.context().newCDPSession(maria);
  const { errors } = await cdp.send('Page.getAppManifest');
  assert.deepEqual(errors, [], 'the manifest parses without errors');
  // The tests' browser contexts are private windows, where Chromium installs nothing: that is
  // the one objection allowed.
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  const objections = installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito');
  assert.deepEqual(objections, [], 'Chromium finds nothing missing to install the app');
  await cdp.detach();

  // The app's pages come from the worker; the server's own paths never do.
  const tab = await maria.context().newPage();
  const page = await tab.goto('/chats/1');
  assert.ok(page.fromServiceWorker(), '/chats/<id> is the precached app');
  for (const path of ['/robots.txt', '/api/me', '/healthz']) {
    const response = await tab.goto(path);
    assert.ok(!response.fromServiceWorker(), `${path} went to the server`);
    assert.ok(!(await response.text()).includes('<div id="root">'), `${path} is not the app's page`);
  }
  await tab.close();
});

test('the app badge follows the unread total', async () => {
  const { maria } = pages;
  const ivan = (pages.ivan = await openPage(browser, cluster.b.url, { ...DESKTOP, locale: 'en-GB' }));
  await signIn(ivan, 'ivan@demo.school');
  assert.deepEqual(await languagesLoaded(ivan), ['en'], 'an English reader downloads the English strings only');
  const chats = await api(ivan, 'GET', '/api/chats');
  chatId = chats.body.chats.find((c) => c.kind === 'direct' && c.participant.name.startsWith('Мария')).id;

  const before = (await api(maria, 'GET', '/api/unread-count')).body.unread_count;
  await waitBadge(maria, before);
  for (const n of [1, 2]) {
    assert.equal((await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: `Задание ${n} на завтра` })).status, 201);
  }
  await waitBadge(maria, before + 2);
  assert.equal((await api(maria, 'GET', '/api/unread-count')).body.unread_count, before + 2);

  // Reading the chat clears it (its messages were all of her unread).
  await maria.getByTestId(`chat-${chatId}`).click();
  await waitForMessage(maria, 'Задание 2 на завтра');
  await waitUnreadCount(maria, 0);
  await waitBadge(maria, 0);
  assert.equal(await maria.evaluate(() => window.badgeCalls.at(-1)), 'cleared', 'nothing unread: no badge');
});

test('offline: reloaded without a network, the chat list and the conversation are read from the device; back online, live again', async () => {
  const { maria, ivan } = pages;
  await waitConnection(maria, 'live');
  await maria.context().setOffline(true);
  await maria.reload();
  assert.equal(await controller(maria), `${cluster.a.url}/sw.js`, 'the page came from the worker');
  await waitForMessage(maria, 'Задание 2 на завтра');
  await maria.getByTestId(`chat-${chatId}`).waitFor({ state: 'attached' }); // the list, behind the conversation on a phone
  assert.notEqual(await maria.getByTestId('connection').getAttribute('data-state'), 'live');

  await maria.context().setOffline(false);
  await waitConnection(maria, 'live');
  await api(ivan, 'POST', '/api/messages', { chat_id: chatId, content: 'Вы снова в сети?' });
  await waitForMessage(maria, 'Вы снова в сети?');
  assert.deepEqual(maria.errors, []);
});

test('the outbox: written offline, pending across an offline reload, sent once when the network returns', async () => {
  const { maria, ivan } = pages;
  const text = 'Отправлено без сети: решила № 5';
  await maria.context().setOffline(true);
  await maria.getByTestId('composer').fill(text);
  await maria.getByTestId('composer').press('Enter');
  await maria.getByTestId('message-pending').filter({ hasText: text }).waitFor();
  // Shown at once, kept on the device a moment later: a reload before that would lose it.
  await maria.waitForFunction(keptInOutbox, text, { polling: 100 });

  await maria.reload();
  await maria.getByTestId('message-pending').filter({ hasText: text }).waitFor();

  const sends = [];
  maria.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/api/messages') && sends.push(r.headers()['idempotency-key']));
  await maria.context().setOffline(false);
  await waitForMessage(maria, text);
  await maria.getByTestId('message-pending').waitFor({ state: 'detached' });
  assert.ok(sends.length >= 1 && new Set(sends).size === 1, `every attempt carries one key: ${sends}`);

  await ivan.getByTestId(`chat-${chatId}`).click();
  await waitForMessage(ivan, text);
  const history = await api(ivan, 'GET', `/api/chats/${chatId}/messages?limit=50`);
  assert.equal(history.body.messages.filter((m) => m.content === text).length, 1, 'Иван receives it exactly once');
  // Nothing left to send after another reload.
  await maria.reload();
  await waitForMessage(maria, text);
  assert.equal(await maria.getByTestId('message-pending').count(), 0);
});

test('offline, a chat never opened on this device: opened empty, written to, kept across a reload, sent once when the network returns', async () => {
  const { maria } = pages;
  // Her first lesson with Анна opens their chat; she sees it in her list (online) and has never opened it.
  psql(`INSERT INTO lessons (teacher_id, student_id, scheduled_at, status, subject)
        SELECT t.id, s.id, now(), 'completed', 'Физика' FROM users t, users s
        WHERE t.email = 'anna@demo.school' AND s.email = 'maria@demo.school'`);
  const annas = (await api(maria, 'GET', '/api/chats')).body.chats.find((c) => c.participant?.name === 'Анна Смирнова');
  assert.ok(annas, 'the lesson opened a chat with Анна');
  await maria.goto('/');
  await maria.getByTestId(`chat-${annas.id}`).waitFor();

  await maria.context().setOffline(true);
  await maria.reload();
  await maria.getByTestId(`chat-${annas.id}`).click();
  await maria.getByTestId('history-unavailable').waitFor();
  const text = 'Анна, без сети: можно перенести физику на четверг?';
  await maria.getByTestId('composer').fill(text);
  await maria.getByTestId('composer').press('Enter');
  await maria.getByTestId('message-pending').filter({ hasText: text }).waitFor();
  await maria.waitForFunction(keptInOutbox, text, { polling: 100 });

  await maria.reload();
  await maria.getByTestId('message-pending').filter({ hasText: text }).waitFor();
  const sends = [];
  maria.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/api/messages') && sends.push(r.headers()['idempotency-key']));
  await maria.context().setOffline(false);
  await waitForMessage(maria, text);
  await maria.getByTestId('history-unavailable').waitFor({ state: 'detached' });
  await maria.getByTestId('message-pending').waitFor({ state: 'detached' });
  assert.ok(sends.length >= 1 && new Set(sends).size === 1, `every attempt carries one key: ${sends}`);
  const history = await api(maria, 'GET', `/api/chats/${annas.id}/messages?limit=50`);
  assert.equal(history.body.messages.filter((m) => m.content === text).length, 1, 'Анна gets it exactly once');
  assert.deepEqual(maria.errors, []);
});

test('a new version is announced and loads only when the person clicks Reload', async () => {
  const { maria } = pages;
  await waitConnection(maria, 'live');
  const old = await maria.evaluate(() => navigator.serviceWorker.controller.scriptURL);
  // Deploy a changed build: a new worker (its precompressed copies would still be the old one).
  const worker = join(dist, 'sw.js');
  writeFileSync(worker, `${readFileSync(worker, 'utf8')}\n// build 2\n`);
  for (const suffix of ['br', 'gz']) rmSync(`${worker}.${suffix}`, { force: true });
  await maria.evaluate(() => window.stillThisPage = true);
  await maria.evaluate(async () => (await navigator.serviceWorker.getRegistration('/')).update());

  const banner = maria.getByTestId('update-banner');
  await banner.getByText('Доступна новая версия').waitFor();
  // Until the click, the running version stays: the new worker waits.
  assert.equal(await maria.evaluate(() => window.stillThisPage), true);
  assert.ok(await maria.evaluate(async () => (await navigator.serviceWorker.getRegistration('/')).waiting !== null));
  assert.deepEqual(await axeViolations(maria), [], 'the banner keeps the page accessible (WCAG 2.1 AA)');
  // Her phone keeps none of the dialogs only staff and admins open.
  const cached = await maria.evaluate(async () => {
    const urls = [];
    for (const name of await caches.keys()) urls.push(...(await (await caches.open(name)).keys()).map((r) => r.url));
    return urls;
  });
  assert.ok(cached.some((url) => /\/assets\/index-.*\.js/.test(url)), `the app shell is precached: ${cached}`);
  const staff = /(NewGroupDialog|InquiryLinksDialog|LessonsDialog|ModerationDialog|ChatReadersDialog)-/;
  assert.deepEqual(cached.filter((url) => staff.test(url)), [], 'no staff dialog in a student’s precache');
  // On her phone it covers nothing: the page ends above it, the composer too.
  await maria.waitForFunction(() => {
    const banner = document.querySelector('[data-testid="update-banner"]').getBoundingClientRect();
    const composer = document.querySelector('[data-testid="composer"]').closest('form') ?? document.querySelector('[data-testid="composer"]');
    return composer.getBoundingClientRect().bottom <= banner.top;
  });
  const composer = await maria.getByTestId('composer').boundingBox();
  assert.ok(composer.y + composer.height <= (await banner.boundingBox()).y, 'the composer is above the banner');

  await Promise.all([maria.waitForEvent('load'), banner.getByRole('button', { name: 'Обновить' }).click()]);
  await maria.getByTestId('composer').waitFor();
  assert.equal(await maria.evaluate(() => window.stillThisPage ?? false), false, 'the page reloaded');
  assert.equal(await controller(maria), old, 'the same worker address, now its new version');
  assert.equal(await maria.evaluate(async () => (await navigator.serviceWorker.getRegistration('/')).waiting), null);
  assert.equal(await banner.count(), 0);
});

test('signing out leaves nothing of hers on the device: the kept chats and outbox are deleted', async () => {
  const { maria } = pages;
  // (Bounded in the page, and each step from here by `step`: a Playwright `evaluate` or a
  // DevTools call waits for ever, and under load this test has hung, twice, without saying
  // where.)
  const kept = () =>
    step('reading what the device keeps', maria.evaluate(async () => ({
      databases: await Promise.race([
        indexedDB.databases().then((all) => all.map((db) => db.name).filter((name) => name.startsWith('tutorchat-'))),
        new Promise((resolve) => setTimeout(() => resolve(['indexedDB.databases() did not answer in 10 s']), 10_000)),
      ]),
      person: localStorage.getItem('tutorchat.offline.person'),
    })));
  const before = await kept();
  assert.equal(before.databases.length, 1, JSON.stringify(before));
  assert.ok(before.person !== null);

  await maria.getByRole('button', { name: 'Назад к чатам' }).click(); // the phone shows the list, with Sign out, first
  await maria.getByRole('button', { name: 'Выйти' }).click();
  await maria.getByTestId('login-maria@demo.school').waitFor();
  for (const deadline = Date.now() + 10_000; (await kept()).databases.length > 0; ) {
    assert.ok(Date.now() < deadline, 'her database was not deleted');
    await maria.waitForTimeout(50);
  }
  assert.deepEqual(await kept(), { databases: [], person: null });
  // Offline now, the app opens on no one's chats: it says the server cannot be reached. (The
  // sign-out's `Clear-Site-Data` removed the worker too; the app installed it again, with its
  // own files only.)
  const installed = await step('waiting for the worker again', maria.evaluate(() =>
    Promise.race([
      navigator.serviceWorker.ready.then(() => 'ready'),
      new Promise((resolve) => setTimeout(resolve, 30_000)).then(async () => {
        const registrations = await navigator.serviceWorker.getRegistrations();
        return `not ready in 30 s: ${JSON.stringify(registrations.map((r) => [r.scope, !!r.installing, !!r.waiting, !!r.active]))}`;
      }),
    ]),
  ));
  assert.equal(installed, 'ready', 'the app installed its worker again');
  await step('going offline', maria.context().setOffline(true));
  await step('reloading offline', maria.reload());
  await maria.getByRole('button', { name: 'Повторить' }).waitFor();
  assert.equal(await maria.getByTestId(`chat-${chatId}`).count(), 0);
  await step('going online', maria.context().setOffline(false));
});

/** `promise`, or a failure naming `what` if it has not settled in 45 s (rather than a hang). */
function step(what, promise) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in 45 s`)), 45_000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** In the page: whether the signed-in person's outbox (IndexedDB) keeps a message with `content`. */
async function keptInOutbox(content) {
  const kept = JSON.parse(localStorage.getItem('tutorchat.offline.person') ?? 'null');
  if (!kept) return false;
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open(`tutorchat-${kept.person.id}`);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    if (!db.objectStoreNames.contains('outbox')) return false;
    const entries = await new Promise((resolve, reject) => {
      const request = db.transaction('outbox').objectStore('outbox').getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return entries.some((entry) => entry.content === content);
  } finally {
    db.close();
  }
}
