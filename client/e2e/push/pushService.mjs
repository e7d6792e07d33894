// The push tests' (push.test.mjs) stand-in for a push service: VAPID keys from `tutorchat
// vapid-keys`, checking the server's VAPID signature, decrypting what it pushes (RFC 8291), and
// a local push service that keeps what it was sent.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { createServer } from 'node:http';

import { SERVER_BIN, freePort } from '../harness.mjs';

/** A fresh key pair from `tutorchat vapid-keys`: { privateKey, publicKey } (base64url). */
export function vapidKeys() {
  const run = spawnSync(SERVER_BIN, ['vapid-keys'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const privateKey = /^PUSH_VAPID_PRIVATE_KEY=(\S+)$/m.exec(run.stdout)?.[1];
  const publicKey = /^# (B[A-Za-z0-9_-]{86})$/m.exec(run.stdout)?.[1];
  assert.ok(privateKey && publicKey, `vapid-keys printed:\n${run.stdout}`);
  return { privateKey, publicKey };
}

/**
 * Checks a push's `Authorization: vapid t=<JWT>, k=<key>`: the school's key (`vapid.publicKey`),
 * signed by it, for `audience`, with the school's `subject`.
 */
export function verifyVapid(authorization, audience, { vapid, subject }) {
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
  assert.equal(body.sub, subject);
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
export async function startPushService() {
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
