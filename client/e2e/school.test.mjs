// End-to-end: signing in with the school's account (a real OpenID Provider, ../tests/oidc, in
// front of a replica configured for it), and the chat's API used from pages of other origins
// (ALLOWED_ORIGINS: CORS with credentials, the event stream, preflighted writes) in headless
// Chromium. One cluster for the file; each test has its own browser context.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { DESKTOP, freePort, launchBrowser, openPage, startCluster } from './harness.mjs';
import { EMBEDDING_PAGE, apiSession, startPageServer, startProvider } from './school.mjs';

let cluster;
let browser;
let provider; // the school's OpenID Provider
let school; // a replica signing in only through it (DEV_LOGIN false)
let embedded; // a replica whose API pages of `allowedSite` may use
let allowedSite; // a page server of another origin, in the embedded replica's ALLOWED_ORIGINS
let otherSite; // one that is not
const pages = []; // every page opened, for the uncaught-error check at the end

before(async () => {
  cluster = await startCluster();
  browser = await launchBrowser();
  // The provider must know where the replica will be before the replica can be told where the provider is.
  const port = await freePort();
  const chat = `http://127.0.0.1:${port}`;
  provider = await startProvider({
    redirectUris: [`${chat}/api/auth/callback`],
    postLogoutRedirectUris: [`${chat}/`],
  });
  school = await cluster.addReplica(
    'replica-school',
    ({ url }) => ({
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: 'tutorchat',
      OIDC_CLIENT_SECRET: 'tutorchat-test-secret',
      PUBLIC_URL: url,
      DEV_LOGIN: 'false',
    }),
    { port },
  );
  allowedSite = await startPageServer(EMBEDDING_PAGE);
  otherSite = await startPageServer(EMBEDDING_PAGE);
  embedded = await cluster.addReplica('replica-embed', { ALLOWED_ORIGINS: allowedSite.origin });
});

after(async () => {
  await browser?.close();
  await provider?.stop();
  await allowedSite?.close();
  await otherSite?.close();
  await cluster?.stop();
});

// ---- helpers ---------------------------------------------------------------------------

/** `GET /api/me` from the page (its cookies): the status. */
function meStatus(page) {
  return page.evaluate(async () => (await fetch('/api/me')).status);
}

/** At the provider's login form (after the chat sent the browser there), signs in as `login`. */
async function signInAtProvider(page, login) {
  await page.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
}

/** Waits until `condition()` holds in `page`. */
function waitIn(page, condition) {
  return page.waitForFunction(condition);
}

// ---- signing in with the school's account ------------------------------------------------

test("school sign-in: the button (no demo picker) → the provider's form → the teacher's inbox; signing out ends the provider's session too", async () => {
  const page = await openPage(browser, school.url);
  pages.push(page);
  const button = page.getByRole('button', { name: 'Sign in with your school account' });
  await button.waitFor();
  // This replica has no demo sign-in: neither its picker nor its words, nor "not configured".
  assert.equal(await page.locator('[data-testid^="login-"]').count(), 0);
  assert.equal(await page.getByText('This is a demo').count(), 0);
  assert.equal(await page.getByTestId('sign-in-unavailable').count(), 0);
  assert.equal(await meStatus(page), 401);

  await button.click();
  await signInAtProvider(page, 'ivan@demo.school');

  // Back at the chat, at the address the sign-in started from, signed in as Иван.
  await page.locator('nav[aria-label="Chats"]').waitFor();
  const url = new URL(page.url());
  assert.equal(url.origin, school.url);
  assert.equal(url.pathname, '/');
  assert.equal(url.search, ''); // no code, state or auth_error left in the address
  assert.equal(await page.locator('.me-name').innerText(), 'Иван Петров');
  await page.locator('[data-testid^="chat-"]').filter({ hasText: 'Мария Иванова' }).first().waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/me')).json());
  assert.equal(me.user.name, 'Иван Петров');
  assert.equal(me.user.role, 'teacher');
  // The session is the chat's own HttpOnly, SameSite=Lax cookie; the sign-in's own cookie is gone.
  const cookies = await page.context().cookies(school.url);
  const session = cookies.find((c) => c.name === 'access_token');
  assert.ok(session, `cookies: ${cookies.map((c) => c.name)}`);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.equal(cookies.filter((c) => c.name === 'tutorchat_sign_in').length, 0);

  // Signing out goes to the provider, which asks, then comes back to the chat's root.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.origin === provider.issuer && u.pathname.startsWith('/session/end'));
  await page.getByText('Do you want to sign out?').waitFor();
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL(`${school.url}/`);
  await button.waitFor();
  assert.equal(await meStatus(page), 401);
  assert.equal((await page.context().cookies(school.url)).filter((c) => c.name === 'access_token').length, 0);

  // The provider's session ended too: signing in again asks for the account again.
  await button.click();
  await page.waitForURL((u) => u.origin === provider.issuer && u.pathname.startsWith('/interaction/'));
  await page.locator('input[name="login"]').waitFor();
  await page.context().close();
});

test('school sign-in of a person no chat user is: back on the sign-in page (in Russian) saying so, auth_error gone from the address', async () => {
  const page = await openPage(browser, school.url, { ...DESKTOP, locale: 'ru-RU' });
  pages.push(page);
  const button = page.getByRole('button', { name: 'Войти через учётную запись школы' });
  await button.click();
  await signInAtProvider(page, 'Nobody@Elsewhere.test');

  const error = page.getByTestId('sign-in-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-code'), 'unknown_user');
  assert.match(await error.innerText(), /^Эта учётная запись школы не связана ни с одним пользователем чата\./);
  // The address the server came back to had `?auth_error=unknown_user`; the page took it out.
  await waitIn(page, () => location.search === '');
  assert.equal(page.url(), `${school.url}/`);
  assert.equal(await meStatus(page), 401);
  assert.equal(await button.isEnabled(), true); // one may try again
  // Said once: a reload does not say it again.
  await page.reload();
  await button.waitFor();
  assert.equal(await page.getByTestId('sign-in-error').count(), 0);
  await page.context().close();
});

test("school sign-in cancelled at the provider: back where it started, saying it was cancelled", async () => {
  const page = await openPage(browser, school.url, DESKTOP, '/chats/1?from=mail');
  pages.push(page);
  await page.getByRole('button', { name: 'Sign in with your school account' }).click();
  await page.waitForURL((u) => u.origin === provider.issuer && u.pathname.startsWith('/interaction/'));
  await page.getByRole('link', { name: 'Cancel' }).click();

  const error = page.getByTestId('sign-in-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-code'), 'sign_in_denied');
  assert.equal(await error.innerText(), 'Signing in with the school account was cancelled or refused.');
  // The address it started from, its own parameter kept, `auth_error` taken out.
  await waitIn(page, () => location.search === '?from=mail');
  assert.equal(page.url(), `${school.url}/chats/1?from=mail`);
  assert.equal(await meStatus(page), 401);
  await page.context().close();
});

// ---- embedding: the API from other origins -------------------------------------------------

test('embedding: a page of an allowed origin reads /api/me, gets messages live and sends one with the browser\'s session; one of another origin gets nothing and writes nothing', async () => {
  // The browser signs in on the chat's origin (the demo's sign-in on this replica).
  const context = await browser.newContext({ locale: 'en-US' });
  context.setDefaultTimeout(15_000);
  const login = await context.request.post(`${embedded.url}/api/dev/login`, { data: { email: 'maria@demo.school' } });
  assert.equal(login.status(), 200);
  const maria = (await login.json()).user;
  // Иван writes through another replica, from Node.
  const ivan = await apiSession(cluster.a.url, 'ivan@demo.school');
  const list = await ivan.call('GET', '/api/chats?limit=100');
  assert.equal(list.status, 200);
  const chatId = list.body.chats.find((c) => c.kind === 'direct' && c.participant?.id === maria.id)?.id;
  assert.ok(chatId, JSON.stringify(list.body));

  const open = async (site) => {
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    pages.push(page);
    await page.goto(`${site.origin}/?chat=${encodeURIComponent(embedded.url)}`);
    return page;
  };
  const allowed = await open(allowedSite);
  const other = await open(otherSite);

  // /api/me with the browser's cookie: the allowed page reads it, the other's fetch is refused by the browser.
  const me = await allowed.evaluate(() => window.me);
  assert.ok(Date.parse(me.body.session_expires_at) > Date.now(), JSON.stringify(me));
  delete me.body.session_expires_at;
  assert.deepEqual(me, { status: 200, body: { user: maria, suspended: null, message_editing: true } });
  const otherMe = await other.evaluate(() => window.me);
  assert.ok(otherMe.error, JSON.stringify(otherMe));
  assert.match(otherMe.error, /TypeError/);

  // Иван's message (sent on replica A) arrives live on the allowed page's stream.
  await waitIn(allowed, () => window.stream.opened > 0);
  const fromIvan = `Мария, to the school site ${Date.now()} 📚`;
  const sent = await ivan.call('POST', '/api/messages', { chat_id: chatId, content: fromIvan });
  assert.equal(sent.status, 201, JSON.stringify(sent));
  await allowed.waitForFunction(
    ({ chatId, text }) => window.stream.messages.some((m) => m.chat_id === chatId && m.message.content === text),
    { chatId, text: fromIvan },
  );
  const received = await allowed.evaluate(() => window.stream.messages);
  assert.equal(received.filter((m) => m.message.content === fromIvan).length, 1);
  assert.equal(received.find((m) => m.message.content === fromIvan).message.sender_id, ivan.user.id);

  // A preflighted write (JSON, an Idempotency-Key) from the allowed page, with the cookie.
  const fromMaria = `Answer from the school site ${Date.now()} ✏️`;
  const posted = await allowed.evaluate(({ chatId, text }) => window.send(chatId, text), { chatId, text: fromMaria });
  assert.equal(posted.status, 201, JSON.stringify(posted));
  assert.equal(posted.body.content, fromMaria);
  assert.equal(posted.body.sender_id, maria.id);
  assert.match(posted.position ?? '', /^\d+$/); // X-Event-Position is exposed to the page
  await allowed.waitForFunction((text) => window.stream.messages.some((m) => m.message.content === text), fromMaria);

  // The page of another origin: its stream never opened and got neither message.
  const otherStream = await other.evaluate(() => window.stream);
  assert.equal(otherStream.opened, 0, JSON.stringify(otherStream));
  assert.deepEqual(otherStream.messages, []);
  // The browser failed it for good (CORS): closed, not reconnecting.
  assert.equal(otherStream.errors, 1, JSON.stringify(otherStream));
  assert.equal(otherStream.readyState, 2, JSON.stringify(otherStream)); // EventSource.CLOSED

  // Its preflighted write: refused by the preflight, never sent.
  const refused = `From a site not allowed ${Date.now()}`;
  const otherPost = await other.evaluate(({ chatId, text }) => window.send(chatId, text), { chatId, text: refused });
  assert.ok(otherPost.error, JSON.stringify(otherPost));
  // A write the browser sends without asking (text/plain, no-cors), the cookie with it: the server refuses it.
  const simple = `Simple request from a site not allowed ${Date.now()}`;
  const [answer, simpleResult] = await Promise.all([
    other.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${embedded.url}/api/messages`),
    other.evaluate(({ chatId, text }) => window.sendSimple(chatId, text), { chatId, text: simple }),
  ]);
  assert.deepEqual(simpleResult, { type: 'opaque' });
  // 403, not 401: the session cookie went along (same site), and the server refused the write
  // for where it came from (`cross_site_request`; the page itself sees nothing of the answer).
  assert.equal(answer.status(), 403);

  // Иван's history: both messages of the allowed page's conversation, neither of the other's.
  const history = await ivan.call('GET', `/api/chats/${chatId}/messages?limit=50`);
  assert.equal(history.status, 200);
  const texts = history.body.messages.map((m) => m.content);
  assert.ok(texts.includes(fromIvan) && texts.includes(fromMaria), JSON.stringify(texts.slice(-5)));
  assert.ok(!texts.includes(refused) && !texts.includes(simple), JSON.stringify(texts.slice(-5)));
  assert.deepEqual((await other.evaluate(() => window.stream)).messages, []);
  await context.close();
});

test('no page threw an uncaught error', () => {
  for (const page of pages) assert.deepEqual(page.errors, [], page.url());
});
