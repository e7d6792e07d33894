// End-to-end: a device stays signed in while it is used, in headless Chromium against replicas
// whose tokens last seconds (DEV_TOKEN_TTL_SECS), as a phone's would last hours:
//
// - the token runs out under an open chat: the app renews it (POST /api/sessions/refresh) and
//   goes on, its stream resumed from its cursor (a message sent meanwhile shows once), and a send
//   after that goes through; a tab on another replica opens signed in;
// - a copy of the refresh cookie used after the device rotated it twice ends the session: the
//   device is signed out, the copy gets nothing;
// - "Your devices" lists the person's sessions; "Sign out" ends another device's at once (its
//   page goes to the sign-in page), "Sign out everywhere" this one's too.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, openTab, startCluster } from './harness.mjs';
import { api, send, signIn, waitConnection, waitForMessage } from './app/helpers.mjs';

const TTL_SECS = 6;
let cluster;
let browser;
let short; // two replicas whose tokens last TTL_SECS
const pages = [];

before(async () => {
  cluster = await startCluster();
  const env = { DEV_TOKEN_TTL_SECS: String(TTL_SECS) };
  short = [await cluster.addReplica('short-1', env), await cluster.addReplica('short-2', env)];
  browser = await launchBrowser();
});

after(async () => {
  for (const page of pages) await page.context().close().catch(() => {});
  await browser?.close();
  await cluster?.stop();
});

/** Records the statuses of the page's renewals, in order. */
function renewals(page) {
  const statuses = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/api/sessions/refresh') statuses.push(r.status());
  });
  return statuses;
}

/**
 * Signs `email` in on a new page at `url`, with a chat open: the first whose row says `chat`, or
 * the one whose id it is.
 */
async function openChat(url, email, chat) {
  const page = await openPage(browser, url);
  pages.push(page);
  await signIn(page, email);
  await waitConnection(page, 'live');
  const rows = page.locator('[data-testid^="chat-"]');
  const row = typeof chat === 'number' ? page.getByTestId(`chat-${chat}`) : rows.filter({ hasText: chat }).first();
  page.chatId = Number((await row.getAttribute('data-testid')).slice('chat-'.length));
  await row.click();
  await page.locator('.message-list').waitFor();
  return page;
}

/** Waits until `page` shows the sign-in page. */
async function signedOut(page, email = 'maria@demo.school') {
  await page.getByTestId(`login-${email}`).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('nav[aria-label="Chats"]').count(), 0);
}

test('a token that runs out is renewed: the stream resumes from its cursor, a send goes through, another replica opens', async () => {
  const maria = await openChat(short[0].url, 'maria@demo.school', 'Иван');
  const renewed = renewals(maria);
  const ivan = await openChat(cluster.b.url, 'ivan@demo.school', maria.chatId); // not the family chat about her

  // Past the token's end (and the server's few seconds of leeway): its stream was closed.
  await maria.waitForTimeout((TTL_SECS + 6) * 1000);
  await send(ivan, 'Пока ваш вход обновлялся');
  await waitForMessage(maria, 'Пока ваш вход обновлялся', 1);
  await waitConnection(maria, 'live');
  assert.ok(renewed.includes(200), `renewed: ${renewed}`);
  assert.equal((await api(maria, 'GET', '/api/sessions')).body.sessions.length, 1, 'one session, renewed');

  await send(maria, 'Спасибо, получила');
  await waitForMessage(ivan, 'Спасибо, получила', 1);

  // The same device, another replica: its cookies (renewed) sign it in there.
  const tab = await openTab(maria, short[1].url);
  await tab.locator('nav[aria-label="Chats"]').waitFor();
  await tab.close();
  await ivan.context().close();
  await maria.context().close();
});

test('a copy of the refresh cookie used after the device rotated it twice ends the session everywhere', async () => {
  const maria = await openChat(short[0].url, 'maria@demo.school', 'Иван');
  const renewed = renewals(maria);
  const [copied] = (await maria.context().cookies()).filter((c) => c.name === 'tutorchat_refresh');
  assert.ok(copied, 'the refresh cookie');

  // The app stays open across two renewals (each time its token runs out, its stream is closed
  // and the app renews before it reconnects).
  for (const deadline = Date.now() + 60_000; renewed.filter((s) => s === 200).length < 2; ) {
    assert.ok(Date.now() < deadline, `renewals: ${renewed}`);
    await maria.waitForTimeout(500);
  }

  // Someone else's browser with the copy.
  const thief = await openPage(browser, short[1].url);
  pages.push(thief);
  await thief.context().addCookies([{ ...copied, domain: '127.0.0.1' }]);
  const stolen = await api(thief, 'POST', '/api/sessions/refresh');
  assert.deepEqual([stolen.status, stolen.body.code], [401, 'session_ended']);

  // The device is signed out: its stream ended, and nothing renews it.
  await signedOut(maria);
});

test('Your devices: signing out another device ends it at once, signing out everywhere ends this one too', async () => {
  const phone = await openChat(cluster.a.url, 'maria@demo.school', 'Иван');
  const laptop = await openChat(cluster.b.url, 'maria@demo.school', 'Иван');

  const laptopId = (await api(laptop, 'GET', '/api/sessions')).body.sessions.find((s) => s.current).id;

  await phone.getByTestId('devices-button').click();
  const dialog = phone.getByTestId('devices-dialog');
  await dialog.getByTestId('device-current').waitFor();
  assert.match(await dialog.getByTestId('device-current').innerText(), /Chrome · Linux/);
  const laptopRow = dialog.locator(`[data-session="${laptopId}"]`);
  assert.equal(await laptopRow.getAttribute('data-testid'), 'device', 'the laptop is listed, not as this device');

  await laptopRow.getByRole('button', { name: /^Sign out/ }).click();
  await signedOut(laptop);
  await laptopRow.waitFor({ state: 'detached' });

  await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();
  await signedOut(phone);
  const refused = await api(phone, 'GET', '/api/me');
  assert.equal(refused.status, 401);
});
