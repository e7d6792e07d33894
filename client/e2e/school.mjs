// Helpers of the school tests (school.test.mjs): the test OpenID Provider (../tests/oidc) as a
// child process, a demo user's API session from Node, and small HTTP servers standing for
// other sites' pages that embed the chat.

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';

import { CLIENT_DIR, RESULTS_DIR, killOnExit } from './harness.mjs';

export const PROVIDER = resolve(CLIENT_DIR, '../tests/oidc/provider.mjs');
/** What `npm ci --prefix tests/oidc` installs (the run checks it is there). */
export const PROVIDER_MODULES = resolve(CLIENT_DIR, '../tests/oidc/node_modules/oidc-provider');

const START_TIMEOUT_MS = 30_000;

/**
 * Starts the test OpenID Provider on a free port of 127.0.0.1, for the client `tutorchat`
 * (secret `tutorchat-test-secret`) with these redirect and post-logout redirect URIs. Resolves
 * `{ issuer, stop() }` once it printed `READY`; its log goes to test-results/oidc-provider.log.
 * It is killed when the test process exits, and exits itself when its stdin (kept here) closes.
 */
export async function startProvider({ redirectUris, postLogoutRedirectUris = [] }) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const log = createWriteStream(join(RESULTS_DIR, 'oidc-provider.log'), { flags: 'a' });
  const args = [PROVIDER, '--port', '0'];
  for (const uri of redirectUris) args.push('--redirect-uri', uri);
  for (const uri of postLogoutRedirectUris) args.push('--post-logout-redirect-uri', uri);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  killOnExit(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    log.write(chunk);
  });
  child.once('exit', () => log.end());
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const ready = new Promise((resolveReady, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = /^READY (\{.*\})$/m.exec(stdout);
      if (line) resolveReady(JSON.parse(line[1]).issuer);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`the OpenID Provider exited (${signal ?? code}) before it was ready:\n${stderr.slice(-2000)}`)),
    );
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the OpenID Provider was not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
  });
  try {
    const issuer = await Promise.race([ready, timeout]);
    return { issuer, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A demo user's session from Node (the demo's dev login on `baseUrl`, its cookie kept), for
 * what another person does meanwhile. Writes carry the chat's own Origin, as its pages send it.
 */
export async function apiSession(baseUrl, email) {
  const login = await fetch(`${baseUrl}/api/dev/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  if (login.status !== 200) throw new Error(`dev login as ${email}: ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0])
    .join('; ');
  const { user } = await login.json();
  return {
    user,
    async call(method, path, body) {
      const headers = { cookie, origin: baseUrl };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
  };
}

/**
 * An HTTP server on a free port of 127.0.0.1: another origin of the same site as the chat
 * (ports make other origins, not other sites), serving `html` at every path. Resolves
 * `{ origin, close() }`.
 */
export function startPageServer(html) {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : html);
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolveServer({
        origin,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/**
 * A page of another site that embeds the chat whose address is its `?chat=` parameter: with
 * the browser's cookies (`credentials: 'include'`), it asks `/api/me` (`window.me`: its
 * answer, or the error if the fetch rejected), follows the event stream
 * (`EventSource(…, { withCredentials: true })`: `window.stream` counts its opens and errors and
 * keeps the messages received: others' as `new_message`, the person's own as `message_sent`,
 * which the stream sends to a sender's own streams instead), and `window.send(chatId, text)` posts a message
 * (`Content-Type: application/json`, so preflighted), `window.sendSimple(chatId, text)` one
 * without a preflight (`text/plain`, `no-cors`: the browser sends it, cookie and all, and
 * shows the page nothing of the answer).
 */
export const EMBEDDING_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>School site</title></head>
<body><h1>The school's site</h1>
<script>
  const chat = new URL(location.href).searchParams.get('chat');
  window.stream = { opened: 0, errors: 0, messages: [], readyState: null };
  window.me = fetch(chat + '/api/me', { credentials: 'include' }).then(
    async (response) => ({ status: response.status, body: await response.json() }),
    (error) => ({ error: String(error) }),
  );
  const source = new EventSource(chat + '/api/events/chat', { withCredentials: true });
  window.source = source;
  source.addEventListener('open', () => { window.stream.opened++; window.stream.readyState = source.readyState; });
  source.addEventListener('error', () => { window.stream.errors++; window.stream.readyState = source.readyState; });
  source.addEventListener('new_message', (event) => window.stream.messages.push(JSON.parse(event.data)));
  source.addEventListener('message_sent', (event) => window.stream.messages.push(JSON.parse(event.data)));
  window.send = (chatId, text) =>
    fetch(chat + '/api/messages', {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ chat_id: chatId, content: text }),
    }).then(
      async (response) => ({
        status: response.status,
        position: response.headers.get('x-event-position'),
        body: await response.json(),
      }),
      (error) => ({ error: String(error) }),
    );
  window.sendSimple = (chatId, text) =>
    fetch(chat + '/api/messages', {
      method: 'POST',
      mode: 'no-cors',
      credentials: 'include',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ chat_id: chatId, content: text }),
    }).then((response) => ({ type: response.type }), (error) => ({ error: String(error) }));
</script>
</body></html>`;
