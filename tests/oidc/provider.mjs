#!/usr/bin/env node
// A real OpenID Provider (oidc-provider) for tutorchat's tests, plus test-only control
// endpoints under /__test/. See README.md beside this file.
//
// stdout carries exactly one line, `READY {"issuer":"..."}`; everything else goes to stderr.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

// oidc-provider prints some notices with console.info; keep stdout for the READY line.
const printReady = (line) => process.stdout.write(`${line}\n`);
console.log = console.info = console.debug = (...args) => console.error(...args);

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    audience: { type: 'string', default: 'tutorchat-api' },
    resource: { type: 'string' },
    'issuer-host': { type: 'string', default: '127.0.0.1' },
    'access-token-alg': { type: 'string', default: 'RS256' },
    'access-token-ttl': { type: 'string', default: '3600' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});

function usage(msg) {
  console.error(`provider.mjs: ${msg}
usage: node provider.mjs --port N --redirect-uri URI [--redirect-uri URI ...]
         --post-logout-redirect-uri URI [...] [--audience tutorchat-api] [--resource URI]
         [--issuer-host 127.0.0.1] [--access-token-alg RS256|ES256|EdDSA]
         [--access-token-ttl 3600] [--verbose]`);
  process.exit(2);
}

if (opts.port === undefined || !/^\d+$/.test(opts.port)) usage('--port N is required (0 picks a free port)');
const redirectUris = opts['redirect-uri'] ?? [];
const postLogoutRedirectUris = opts['post-logout-redirect-uri'] ?? [];
if (!redirectUris.length) usage('at least one --redirect-uri is required');
const audience = opts.audience;
// RFC 8707 resource indicators must be absolute URIs (oidc-provider rejects others with
// invalid_target); the token's `aud` is the audience either way.
const resource = opts.resource ?? (URL.parse(audience)?.protocol ? audience : `urn:${audience}`);
const accessTokenAlg = opts['access-token-alg'];
const accessTokenTTL = Number(opts['access-token-ttl']);

// ---------------------------------------------------------------------------------------
// Signing keys
const KINDS = [
  { alg: 'RS256', prefix: 'rs' },
  { alg: 'ES256', prefix: 'es' },
  { alg: 'EdDSA', prefix: 'ed' },
];

async function makeKey(alg, kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...await jose.exportJWK(publicKey), kid, alg, use: 'sig' };
  const privateJwk = { ...await jose.exportJWK(privateKey), kid, alg, use: 'sig' };
  return {
    alg, kid, privateKey, publicJwk, privateJwk, pem: await jose.exportSPKI(publicKey),
  };
}

async function makeKeySet(generation) {
  const set = {};
  for (const { alg, prefix } of KINDS) set[alg] = await makeKey(alg, `${prefix}-${generation}`);
  return set;
}

let generation = 1;
let currentKeys = await makeKeySet(generation);
let previousKeys = null; // the set before the latest rotation (kept even when unpublished)
let publishPrevious = false;
const foreignKeys = {}; // alg -> key never published (kid foreign-<prefix>-1)

const publishedKeys = () => [
  ...Object.values(currentKeys),
  ...(publishPrevious && previousKeys ? Object.values(previousKeys) : []),
];

// ---------------------------------------------------------------------------------------
// Accounts: any login is an account; accountId = the login as typed.
function claimsFor(login) {
  const email = login.toLowerCase();
  return {
    sub: login,
    email,
    email_verified: !login.startsWith('unverified+'),
    name: login.split('@')[0],
  };
}

// ---------------------------------------------------------------------------------------
// HTML pages (no external resources: the test machines have no network)
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><h1>${esc(title)}</h1>
${body}
</body></html>`;

function loginPage(uid, params, error) {
  return page('Sign-in', `${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<p>Test provider: any login and password are accepted.</p>
<form autocomplete="off" action="/interaction/${esc(uid)}" method="post">
  <input type="hidden" name="prompt" value="login">
  <label>Login <input required type="text" name="login" value="${esc(params.login_hint ?? '')}" autofocus></label>
  <label>Password <input required type="password" name="password"></label>
  <button type="submit">Sign-in</button>
</form>
<p><a href="/interaction/${esc(uid)}/abort">Cancel</a></p>`);
}

function consentPage(uid, client) {
  return page('Authorize', `<p>${esc(client?.clientId ?? '')} asks for access.</p>
<form autocomplete="off" action="/interaction/${esc(uid)}" method="post">
  <input type="hidden" name="prompt" value="consent">
  <button type="submit">Continue</button>
</form>`);
}

// ---------------------------------------------------------------------------------------
// The provider (re-created with a new keystore on rotation; the in-memory adapter's storage
// is module-level, so sessions, grants and codes survive a swap, and so do cookies since the
// cookie keys are kept).
const cookieKeys = [crypto.randomBytes(32).toString('base64url')];
let issuer; // set once the port is known

async function loadExistingGrant(ctx) {
  // First-party clients: never ask for consent. Reuse the session's grant if any and add
  // whatever this request asks for.
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant) {
    grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' ') || 'openid');
  if (oidc.requestParamClaims.size) grant.addOIDCClaims([...oidc.requestParamClaims]);
  for (const [indicator, rs] of Object.entries(oidc.resourceServers ?? {})) {
    grant.addResourceScope(indicator, rs.scope ?? '');
  }
  await grant.save();
  return grant;
}

function providerConfig(jwks) {
  const client = {
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  };
  return {
    clients: [
      {
        ...client,
        client_id: 'tutorchat',
        client_secret: 'tutorchat-test-secret',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      { ...client, client_id: 'tutorchat-public', token_endpoint_auth_method: 'none' },
    ],
    jwks,
    cookies: { keys: cookieKeys },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => claimsFor(sub),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    loadExistingGrant,
    extraTokenClaims: async (ctx, token) => {
      if (!token.accountId) return undefined;
      const { email, email_verified: emailVerified } = claimsFor(token.accountId);
      return { email, email_verified: emailVerified };
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope: '',
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL,
            jwt: { sign: { alg: accessTokenAlg, kid: currentKeys[accessTokenAlg].kid } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out', `<p>Do you want to sign out?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<p>You have been signed out.</p>');
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Error', Object.entries(out)
        .map(([k, v]) => `<pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`).join('\n'));
    },
    clientBasedCORS: (ctx, origin, client) => origin !== 'null'
      && client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    ttl: {
      AccessToken: accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 86400,
      Grant: 86400,
    },
  };
}

let current; // { provider, handler }

function buildProvider() {
  const jwks = { keys: publishedKeys().map((k) => k.privateJwk) };
  const provider = new Provider(issuer, providerConfig(jwks));
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error']) {
    provider.on(event, (ctx, err) => console.error(`oidc-provider ${event}:`, err?.message, err?.error_description ?? ''));
  }
  return { provider, handler: provider.callback() };
}

// ---------------------------------------------------------------------------------------
// Interactions (login form; consent is normally skipped by loadExistingGrant)
async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function interaction(req, res, uid, action) {
  const { provider } = current;
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new errors.SessionNotFound('interaction uid mismatch');
  if (action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const { prompt, params, session, grantId } = details;
  if (req.method === 'GET') {
    const client = await provider.Client.find(params.client_id);
    sendHtml(res, 200, prompt.name === 'login' ? loginPage(uid, params) : consentPage(uid, client));
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (prompt.name === 'login') {
    const login = form.get('login') ?? '';
    if (!login) {
      sendHtml(res, 400, loginPage(uid, params, 'login is required'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  // consent
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const d = prompt.details;
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

// ---------------------------------------------------------------------------------------
// /__test/ endpoints
const b64u = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
let localOrigin; // http://127.0.0.1:<port>, where this process actually listens

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// The real authorization-code flow with PKCE, over HTTP against this same provider.
async function testToken(body) {
  const login = body.login;
  if (typeof login !== 'string' || !login) throw new HttpError(400, 'login (a non-empty string) is required');
  const { provider } = current;
  const jar = new Map();
  const local = (url) => {
    const u = new URL(url, issuer);
    return u.origin === new URL(issuer).origin ? `${localOrigin}${u.pathname}${u.search}` : u.href;
  };
  const request = async (url, init = {}) => {
    const headers = { ...init.headers };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(local(url), { ...init, headers, redirect: 'manual' });
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (!value || expired) jar.delete(name); else jar.set(name, value);
    }
    return res;
  };

  const redirectUri = redirectUris[0];
  const verifier = crypto.randomBytes(32).toString('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const auth = new URL(provider.urlFor('authorization'));
  auth.search = new URLSearchParams({
    client_id: 'tutorchat',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: body.scope ?? 'openid email profile',
    state,
    nonce: crypto.randomBytes(16).toString('base64url'),
    code_challenge: crypto.hash('sha256', verifier, 'base64url'),
    code_challenge_method: 'S256',
    resource,
  }).toString();

  let url = auth.href;
  let init = {};
  let code;
  for (let step = 0; step < 10 && !code; step += 1) {
    const res = await request(url, init);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (next.href.startsWith(redirectUri)) {
        const p = next.searchParams;
        if (p.get('error')) throw new HttpError(502, `authorization failed: ${p.get('error')}: ${p.get('error_description')}`);
        if (p.get('state') !== state) throw new HttpError(502, 'state mismatch');
        code = p.get('code');
      } else {
        url = next.href;
        init = {};
      }
      continue;
    }
    const text = await res.text();
    const action = res.status === 200 && /name="login"/.test(text) && text.match(/<form[^>]*action="([^"]+)"/);
    if (!action) throw new HttpError(502, `unexpected ${res.status} at ${url}: ${text.slice(0, 500)}`);
    url = new URL(action[1].replace(/&amp;/g, '&'), url).href;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login, password: 'test' }).toString(),
    };
  }
  if (!code) throw new HttpError(502, 'no authorization code after 10 steps');

  const basic = Buffer.from(`${encodeURIComponent('tutorchat')}:${encodeURIComponent('tutorchat-test-secret')}`).toString('base64');
  const res = await fetch(local(provider.urlFor('token')), {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier,
    }).toString(),
  });
  const tokens = await res.json();
  if (!res.ok) throw new HttpError(502, `token endpoint ${res.status}: ${JSON.stringify(tokens)}`);
  return {
    access_token: tokens.access_token,
    id_token: tokens.id_token,
    expires_in: tokens.expires_in,
    token_type: tokens.token_type,
  };
}

// Raw JWS signature with node:crypto, for a header whose alg differs from the key's.
function rawSign(alg, input, privateKey) {
  const key = crypto.KeyObject.from(privateKey);
  switch (alg) {
    case 'RS256': return crypto.sign('sha256', input, key);
    case 'ES256': return crypto.sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA': return crypto.sign(null, input, key);
    default: throw new HttpError(400, `unsupported alg ${alg}`);
  }
}

async function testSign(body) {
  const { alg, claims = {}, header = {}, key: which = 'current' } = body;
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: issuer, aud: audience, iat: now, exp: now + 300, ...claims,
  };
  if (alg === 'none') {
    return { token: `${b64u({ alg: 'none', typ: 'JWT', ...header })}.${b64u(payload)}.` };
  }
  if (alg === 'HS256') {
    if (typeof body.hmac_key !== 'string') throw new HttpError(400, 'hmac_key (a string) is required for HS256');
    const token = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
      .sign(new TextEncoder().encode(body.hmac_key));
    return { token };
  }
  if (!KINDS.some((k) => k.alg === alg)) throw new HttpError(400, `alg must be one of RS256, ES256, EdDSA, none, HS256 (got ${alg})`);
  let key;
  if (which === 'current') key = currentKeys[alg];
  else if (which === 'previous') {
    if (!previousKeys) throw new HttpError(400, 'no previous key: rotate first');
    key = previousKeys[alg];
  } else if (which === 'foreign') {
    const prefix = KINDS.find((k) => k.alg === alg).prefix;
    foreignKeys[alg] ??= await makeKey(alg, `foreign-${prefix}-1`);
    key = foreignKeys[alg];
  } else throw new HttpError(400, 'key must be current, previous or foreign');
  const protectedHeader = { alg, kid: key.kid, typ: 'JWT', ...header };
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  if (protectedHeader.alg === alg) {
    return { token: await new jose.CompactSign(bytes).setProtectedHeader(protectedHeader).sign(key.privateKey) };
  }
  const input = `${b64u(protectedHeader)}.${Buffer.from(bytes).toString('base64url')}`;
  return { token: `${input}.${rawSign(alg, Buffer.from(input), key.privateKey).toString('base64url')}` };
}

function testKeys() {
  const keys = publishedKeys();
  return {
    keys: keys.map((k) => k.publicJwk),
    pem: Object.fromEntries(keys.map((k) => [k.kid, k.pem])),
  };
}

let rotating = Promise.resolve();
function testRotate(body) {
  const run = rotating.then(async () => {
    const next = await makeKeySet(generation + 1);
    generation += 1;
    previousKeys = currentKeys;
    currentKeys = next;
    publishPrevious = !body.drop_previous;
    current = buildProvider();
    console.error(`rotated: signing with ${Object.values(currentKeys).map((k) => k.kid).join(', ')}; publishing ${publishedKeys().map((k) => k.kid).join(', ')}`);
    return { kids: Object.values(currentKeys).map((k) => k.kid) };
  });
  rotating = run.catch(() => {});
  return run;
}

const testRoutes = {
  'POST /__test/token': testToken,
  'POST /__test/sign': testSign,
  'GET /__test/keys': testKeys,
  'POST /__test/rotate': testRotate,
  'GET /__test/config': () => ({
    issuer,
    audience,
    resource,
    access_token_alg: accessTokenAlg,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    clients: [
      { client_id: 'tutorchat', client_secret: 'tutorchat-test-secret', token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: 'tutorchat-public', token_endpoint_auth_method: 'none' },
    ],
  }),
};

async function handleTest(req, res, path) {
  const route = testRoutes[`${req.method} ${path}`];
  let status = 200;
  let out;
  try {
    if (!route) throw new HttpError(404, `no test route ${req.method} ${path}`);
    const text = req.method === 'POST' ? await readBody(req) : '';
    let body = {};
    if (text.trim()) {
      try { body = JSON.parse(text); } catch { throw new HttpError(400, 'body must be JSON'); }
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object');
    out = await route(body);
  } catch (err) {
    status = err.status ?? 500;
    out = { error: err.message };
    console.error(`${req.method} ${path} -> ${status}: ${err.message}`);
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(out));
}

// ---------------------------------------------------------------------------------------
// The HTTP server
const server = http.createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  if (opts.verbose) res.on('finish', () => console.error(`${req.method} ${req.url} -> ${res.statusCode}`));
  try {
    if (path.startsWith('/__test/')) {
      await handleTest(req, res, path);
      return;
    }
    const m = path.match(/^\/interaction\/([^/]+)(\/abort)?$/);
    if (m && (req.method === 'GET' || (req.method === 'POST' && !m[2]))) {
      await interaction(req, res, m[1], m[2] ? 'abort' : undefined);
      return;
    }
    current.handler(req, res);
  } catch (err) {
    console.error(`${req.method} ${path}:`, err.message);
    if (!res.headersSent) {
      const status = err.statusCode ?? err.status ?? 500;
      sendHtml(res, status, page('Error', `<pre>${esc(err.error ?? 'server_error')}: ${esc(err.error_description ?? err.message)}</pre>`));
    } else res.end();
  }
});

server.listen(Number(opts.port), '127.0.0.1', () => {
  const { port } = server.address();
  localOrigin = `http://127.0.0.1:${port}`;
  issuer = `http://${opts['issuer-host']}:${port}`;
  try {
    current = buildProvider();
  } catch (err) {
    console.error('provider.mjs: cannot configure oidc-provider:', err);
    process.exit(1);
  }
  printReady(`READY ${JSON.stringify({ issuer })}`);
});
server.on('error', (err) => {
  console.error('provider.mjs:', err.message);
  process.exit(1);
});

// Exit with the parent: on SIGTERM/SIGINT, and when a piped stdin closes. Stdin is watched
// only when it is a pipe or socket, so a provider started with stdin at /dev/null or a
// terminal does not exit at once.
const shutdown = (why) => {
  console.error(`provider.mjs: exiting (${why})`);
  process.exit(0);
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
try {
  const st = fs.fstatSync(0);
  if (st.isFIFO() || st.isSocket()) {
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    process.stdin.on('error', () => shutdown('stdin error'));
    process.stdin.resume();
  }
} catch { /* no stdin at all */ }
