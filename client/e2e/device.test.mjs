// End-to-end: what a shared device keeps of a person once their session ends, however it ends,
// and whose name a kept message goes out under (security review 2026-11-29, H1 and M1), in
// headless Chromium against two replicas (and one whose sessions last seconds). Each test has
// its own browser context (its own cookies, storage and service worker), as a tablet would:
//
// - the session expired while the app was closed (the cookie is gone): the next load shows the
//   sign-in page and the device keeps nothing of the person, and an offline reload opens nobody;
// - the session's end passed while the device was offline: an offline reload opens nobody;
// - the account was deactivated while the app was closed: the same as an expired session;
// - signing out of a session from the school's provider (`end_session_url`): the device is wiped
//   before the browser leaves for the provider's page;
// - a message kept in one tab's outbox while someone else signed in in another tab is never
//   stored as the other person's; a tab follows a change of person made in another.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, openTab, startCluster } from './harness.mjs';
import { api, signIn, waitConnection } from './app/helpers.mjs';

const MARIA = 'Мария Иванова';
const TTL_SECS = 20; // the short-lived replica's sessions
let cluster;
let browser;
let shortLived; // a replica whose sessions last a few seconds (DEV_TOKEN_TTL_SECS)
const pages = [];

before(async () => {
  cluster = await startCluster();
  shortLived = await cluster.addReplica('replica-short', { DEV_TOKEN_TTL_SECS: String(TTL_SECS) });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

// ---- helpers ---------------------------------------------------------------------------

/** What the device keeps, as a page of the site sees it: the app's databases, the kept person, the push owner. */
function kept(page) {
  return page.evaluate(async () => ({
    databases: (await indexedDB.databases()).map((db) => db.name).filter((name) => name.startsWith('tutorchat-')),
    person: localStorage.getItem('tutorchat.offline.person'),
    pushOwner: localStorage.getItem('tutorchat.push.owner'),
  }));
}

const NOTHING = { databases: [], person: null, pushOwner: null };

/** Waits until the device keeps nothing of anyone (deleting a database takes a moment). */
async function waitForgotten(page) {
  let last;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    last = await kept(page);
    if (JSON.stringify(last) === JSON.stringify(NOTHING)) return;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(last, NOTHING, 'the device still keeps something of the person');
}

/** Signs `email` in on `page`, opens their chat with `withName`, and waits until the device keeps it. */
async function signInAndRead(page, email, withName) {
  await signIn(page, email);
  await waitConnection(page, 'live');
  const chat = page.locator('[data-testid^="chat-"]').filter({ hasText: withName }).first();
  const chatId = Number((await chat.getAttribute('data-testid')).slice('chat-'.length));
  await chat.click();
  await page.locator('.message-list').waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready); // the app's shell, for opening offline
  await page.waitForFunction(
    async (chatId) => {
      const person = JSON.parse(localStorage.getItem('tutorchat.offline.person') ?? 'null');
      if (!person) return false;
      const db = await new Promise((resolve) => {
        const request = indexedDB.open(`tutorchat-${(person.person ?? person).id}`);
        request.onsuccess = () => resolve(request.result);
      });
      try {
        if (!db.objectStoreNames.contains('snapshots')) return false;
        const key = await new Promise((resolve) => {
          const request = db.transaction('snapshots').objectStore('snapshots').getKey(`chat:${chatId}`);
          request.onsuccess = () => resolve(request.result);
        });
        return key !== undefined;
      } finally {
        db.close();
      }
    },
    chatId,
    { polling: 100 },
  );
  return chatId;
}

/**
 * Reloads `page` without a network, and insists that nobody's workspace opens: the app says the
 * server cannot be reached (its shell from the service worker), or, where the browser forgot the
 * worker too (`Clear-Site-Data`), the browser's own offline page.
 */
async function offlineOpensNobody(page, chatId) {
  await page.context().setOffline(true);
  try {
    await page.goto('/').catch(() => {}); // the browser's offline page, when no worker answers
    const app = await page.evaluate(() => document.getElementById('root') !== null).catch(() => false);
    if (app) await page.getByRole('button', { name: 'Try again' }).waitFor();
    assert.equal(await page.locator('nav[aria-label="Chats"]').count(), 0, 'a workspace opened offline');
    assert.equal(await page.getByTestId(`chat-${chatId}`).count(), 0);
  } finally {
    await page.context().setOffline(false);
  }
}

// ---- the session ends --------------------------------------------------------------------

test('a session that expired while the app was closed: the next load keeps nothing of her, offline opens nobody', async () => {
  const page = await openPage(browser, cluster.a.url);
  pages.push(page);
  const chatId = await signInAndRead(page, 'maria@demo.school', 'Иван');
  assert.equal((await kept(page)).databases.length, 1);

  // The tab closes; the session's cookie goes, as when SESSION_TTL_SECS passes.
  const context = page.context();
  const blank = await context.newPage();
  await page.close();
  await context.clearCookies();
  const next = await openTab(blank, '/');
  pages.push(next);
  await next.getByTestId('login-maria@demo.school').waitFor();
  await waitForgotten(next);
  await offlineOpensNobody(next, chatId);
  await context.close();
});

test('a session whose end passed while the device was offline: the offline reload opens nobody, and forgets her', async () => {
  const page = await openPage(browser, shortLived.url);
  pages.push(page);
  const signingIn = Date.now();
  const chatId = await signInAndRead(page, 'maria@demo.school', 'Иван');
  await page.context().setOffline(true);
  await page.reload(); // still hers, offline, before its end
  await page.locator('nav[aria-label="Chats"]').waitFor();
  await page.waitForTimeout(Math.max(0, signingIn + TTL_SECS * 1000 - Date.now()) + 1500);

  await page.reload();
  await page.getByRole('button', { name: 'Try again' }).waitFor();
  assert.equal(await page.locator('nav[aria-label="Chats"]').count(), 0, 'her workspace opened after her session ended');
  await waitForgotten(page);
  assert.equal(await page.getByTestId(`chat-${chatId}`).count(), 0);
  await page.context().setOffline(false);
  await page.context().close();
});

test('an account deactivated while the app was closed: the next load keeps nothing of her, offline opens nobody', async () => {
  const page = await openPage(browser, cluster.a.url);
  pages.push(page);
  const chatId = await signInAndRead(page, 'maria@demo.school', 'Иван');
  const maria = (await api(page, 'GET', '/api/me')).body.user.id;

  const admin = await openPage(browser, cluster.b.url);
  await signIn(admin, 'admin@demo.school');
  const deactivated = await api(admin, 'POST', `/api/admin/users/${maria}/deactivate`, {});
  assert.equal(deactivated.status, 204, JSON.stringify(deactivated));
  try {
    const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/me');
    await page.reload();
    const answer = await refused;
    assert.deepEqual([answer.status(), (await answer.json()).code], [401, 'account_deactivated']);
    await page.getByTestId('login-maria@demo.school').waitFor();
    await waitForgotten(page);
    await offlineOpensNobody(page, chatId);
  } finally {
    // Back at school, for the tests after this one.
    const reactivated = await api(admin, 'POST', `/api/admin/users/${maria}/reactivate`, {});
    assert.equal(reactivated.status, 204, JSON.stringify(reactivated));
    await admin.context().close();
  }
  await page.context().close();
});

test("signing out of a school provider's session: the device is wiped before the browser leaves for the provider's page", async () => {
  const page = await openPage(browser, cluster.a.url);
  pages.push(page);
  const chatId = await signInAndRead(page, 'maria@demo.school', 'Иван');
  // The real sign-out (the session ends), answered as the server answers a session the school's
  // provider started: go to its `end_session_url` (here a page of the site that runs no app, so
  // that what is kept there is what the app left before leaving). Without the server's own
  // `Clear-Site-Data`: the app must do it itself.
  const leaveTo = `${cluster.a.url}/robots.txt`;
  await page.route('**/api/logout', async (route) => {
    const real = await route.fetch();
    assert.equal(real.status(), 204);
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ end_session_url: leaveTo }) });
  });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(leaveTo);
  assert.deepEqual(await kept(page), NOTHING, 'what the device kept when the browser left');
  await offlineOpensNobody(page, chatId);
  await page.context().close();
});

// ---- who a kept message goes as ------------------------------------------------------------

test("a message kept in her tab's outbox while the teacher signed in in another tab is never stored as his", async () => {
  const maria = await openPage(browser, cluster.a.url);
  pages.push(maria);
  const chatId = await signInAndRead(maria, 'maria@demo.school', 'Иван');
  // Her send fails on the way (no answer): the message stays in her outbox.
  await maria.route('**/api/messages', (route) => route.abort('internetdisconnected'));
  const text = `OUTBOX-${Date.now()} written by Мария`;
  await maria.getByTestId('composer').fill(text);
  await maria.getByTestId('composer').press('Enter');
  await maria.getByTestId('message-pending').filter({ hasText: text }).waitFor();

  // Another tab of the same browser, on a page of the site without the app: Иван signs in
  // there, which replaces the browser's session cookie.
  const other = await openTab(maria, '/robots.txt');
  const login = await other.evaluate(async () => {
    const response = await fetch('/api/dev/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ivan@demo.school' }),
    });
    return response.status;
  });
  assert.equal(login, 200);

  // Her tab's network comes back: the kept message is sent again (its answer read on the way:
  // the tab reloads right after it), and refused.
  let answered;
  const attempt = new Promise((resolve) => {
    answered = resolve;
  });
  await maria.unroute('**/api/messages');
  await maria.route('**/api/messages', async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    answered({ status: response.status(), body, author: route.request().headers()['x-expected-user'] });
    await route.fulfill({ response, body });
  });
  await maria.evaluate(() => window.dispatchEvent(new Event('online')));
  const answer = await attempt;
  // Stored as nobody: refused, as written by someone the session is not.
  const history = await api(other, 'GET', `/api/chats/${chatId}/messages?limit=50`);
  assert.equal(history.status, 200);
  assert.deepEqual(history.body.messages.filter((m) => m.content === text), [], 'her words were stored');
  assert.equal(answer.status, 409, answer.body);
  assert.equal(JSON.parse(answer.body).code, 'expected_user_mismatch');
  const me = (await api(other, 'GET', '/api/me')).body.user.id;
  assert.ok(answer.author !== undefined && answer.author !== String(me), `sent as written by ${answer.author}`);

  // Her tab now shows whoever the browser's session is (Иван), and the device no longer keeps
  // her outbox.
  await maria.waitForFunction(() => document.querySelector('.me-name')?.textContent === 'Иван Петров');
  await maria.waitForFunction(
    async (only) => (await indexedDB.databases()).filter((db) => db.name.startsWith('tutorchat-')).every((db) => db.name === only),
    `tutorchat-${me}`,
    { polling: 100 },
  );
  await maria.context().close();
});

test('a tab follows a change of person made in another tab: it never goes on showing her chats on his session', async () => {
  const first = await openPage(browser, cluster.a.url);
  pages.push(first);
  await signIn(first, 'maria@demo.school');
  await waitConnection(first, 'live');
  const second = await openTab(first, '/');
  pages.push(second);
  await second.locator('nav[aria-label="Chats"]').waitFor(); // hers too: one cookie
  await second.getByRole('button', { name: 'Sign out' }).click();
  await signIn(second, 'ivan@demo.school');
  await first.waitForFunction((name) => document.querySelector('.me-name')?.textContent !== name, MARIA, { timeout: 15_000 });
  await first.waitForFunction(() => document.readyState === 'complete');
  // Whatever it shows now (the sign-in page, or his chats), it is not her session.
  const shown = await first.evaluate(() => document.querySelector('.me-name')?.textContent ?? null);
  assert.ok(shown === null || shown === 'Иван Петров', `the first tab shows ${shown}`);
  await first.context().close();
});

test('no page threw an uncaught error', () => {
  for (const [i, page] of pages.entries()) assert.deepEqual(page.errors, [], `page ${i}`);
});
