// Self-test of the test OpenID Provider: node tests/oidc/selftest.mjs (exits non-zero on failure).
import { spawn } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import * as jose from 'jose';

const REDIRECT = 'http://localhost:8080/api/auth/callback';
const child = spawn(process.execPath, [
  fileURLToPath(new URL('provider.mjs', import.meta.url)),
  '--port', '0', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', 'http://localhost:8080/',
], { stdio: ['pipe', 'pipe', 'inherit'] });

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${err.stack.split('\n').slice(0, 3).join('\n  ')}`);
  }
}

const ready = await new Promise((resolve, reject) => {
  createInterface({ input: child.stdout }).once('line', resolve);
  child.once('exit', (code) => reject(new Error(`provider exited (${code}) before READY`)));
  setTimeout(() => reject(new Error('no READY within 20 s')), 20_000);
});
assert.match(ready, /^READY \{/);
const { issuer } = JSON.parse(ready.slice('READY '.length));
const call = async (method, path, body) => {
  const res = await fetch(`${issuer}${path}`, { method, body: body && JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
};
const audience = 'tutorchat-api';

let discovery;
await check('discovery document', async () => {
  discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  assert.equal(discovery.issuer, issuer);
  assert.ok(discovery.end_session_endpoint);
});
const jwksRes = await fetch(discovery.jwks_uri);
console.log(`# JWKS Cache-Control: ${jwksRes.headers.get('cache-control') ?? '(none)'}`);
const jwks = () => jose.createRemoteJWKSet(new URL(discovery.jwks_uri));
const kidsOf = async () => (await (await fetch(discovery.jwks_uri)).json()).keys.map((k) => k.kid);

await check('JWKS has rs-1, es-1, ed-1', async () => {
  assert.deepEqual((await jwksRes.json()).keys.map((k) => `${k.kid}/${k.alg}/${k.use}`), ['rs-1/RS256/sig', 'es-1/ES256/sig', 'ed-1/EdDSA/sig']);
});

await check('/__test/token: real code flow, tokens verify against the JWKS', async () => {
  const t = await call('POST', '/__test/token', { login: 'Alice@School.test' });
  assert.ok(t.expires_in > 0);
  const at = await jose.jwtVerify(t.access_token, jwks(), { issuer, audience, typ: 'at+jwt' });
  assert.equal(at.payload.sub, 'Alice@School.test');
  assert.equal(at.payload.email, 'alice@school.test');
  assert.equal(at.payload.email_verified, true);
  assert.equal(at.protectedHeader.kid, 'rs-1');
  const id = await jose.jwtVerify(t.id_token, jwks(), { issuer, audience: 'tutorchat', algorithms: ['RS256'] });
  assert.equal(id.payload.email, 'alice@school.test');
  assert.equal(id.payload.name, 'Alice');
  const u = await call('POST', '/__test/token', { login: 'unverified+bob@school.test' });
  assert.equal(jose.decodeJwt(u.access_token).email_verified, false);
});

await check('/__test/sign: RS256, ES256, EdDSA verify; foreign does not', async () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const { token } = await call('POST', '/__test/sign', { alg, claims: { sub: 's', email: 'e@x' } });
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks(), { issuer, audience });
    assert.equal(payload.email, 'e@x');
    assert.equal(protectedHeader.typ, 'JWT');
    const foreign = (await call('POST', '/__test/sign', { alg, key: 'foreign', claims: {} })).token;
    await assert.rejects(jose.jwtVerify(foreign, jwks()), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  }
  const wrongKid = (await call('POST', '/__test/sign', { alg: 'RS256', header: { kid: 'nope' } })).token;
  assert.equal(jose.decodeProtectedHeader(wrongKid).kid, 'nope');
});

await check('/__test/sign: none and HS256', async () => {
  const none = (await call('POST', '/__test/sign', { alg: 'none', claims: { sub: 'x' } })).token;
  assert.ok(none.endsWith('.'));
  assert.equal(jose.decodeProtectedHeader(none).alg, 'none');
  assert.equal(jose.decodeJwt(none).aud, audience);
  const { pem } = await call('GET', '/__test/keys');
  const hs = (await call('POST', '/__test/sign', { alg: 'HS256', hmac_key: pem['rs-1'] })).token;
  await jose.jwtVerify(hs, new TextEncoder().encode(pem['rs-1']), { issuer });
});

await check('/__test/rotate keeps the previous keys published', async () => {
  const { kids } = await call('POST', '/__test/rotate', {});
  assert.deepEqual(kids, ['rs-2', 'es-2', 'ed-2']);
  assert.deepEqual(await kidsOf(), ['rs-2', 'es-2', 'ed-2', 'rs-1', 'es-1', 'ed-1']);
  const t = await call('POST', '/__test/token', { login: 'carol@school.test' });
  assert.equal((await jose.jwtVerify(t.access_token, jwks(), { issuer, audience })).protectedHeader.kid, 'rs-2');
  assert.equal(jose.decodeProtectedHeader(t.id_token).kid, 'rs-2');
  const old = (await call('POST', '/__test/sign', { alg: 'ES256', key: 'previous' })).token;
  assert.equal((await jose.jwtVerify(old, jwks())).protectedHeader.kid, 'es-1');
  assert.deepEqual((await call('GET', '/__test/keys')).keys.map((k) => k.kid), await kidsOf());
});

await check('/__test/rotate drop_previous publishes only the new keys', async () => {
  const { kids } = await call('POST', '/__test/rotate', { drop_previous: true });
  assert.deepEqual(kids, ['rs-3', 'es-3', 'ed-3']);
  assert.deepEqual(await kidsOf(), kids);
  const old = (await call('POST', '/__test/sign', { alg: 'RS256', key: 'previous' })).token;
  assert.equal(jose.decodeProtectedHeader(old).kid, 'rs-2');
  await assert.rejects(jose.jwtVerify(old, jwks()), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
});

await check('provider exits when its stdin closes', async () => {
  const exited = new Promise((resolve) => { child.once('exit', resolve); });
  child.stdin.end();
  await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error('still running')), 5000))]);
});
child.kill('SIGTERM');

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
