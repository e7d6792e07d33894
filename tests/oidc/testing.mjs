// The test-only endpoints under /__test/: code-flow tokens, signed tokens, keys, rotation, configuration.
import * as crypto from 'node:crypto';

import * as jose from 'jose';

import { readBody } from './interaction.mjs';
import {
  KINDS, currentKeys, foreignKeys, makeKey, previousKeys, publishedKeys, rotateKeys,
} from './keys.mjs';
import { current, rebuildProvider } from './oidc.mjs';
import {
  accessTokenAlg, audience, issuer, localOrigin, postLogoutRedirectUris, redirectUris, resource,
} from './options.mjs';

const b64u = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

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
    await rotateKeys(body.drop_previous);
    rebuildProvider();
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

export async function handleTest(req, res, path) {
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
