// The push tests' (push.test.mjs) stand-in for Google's GCM, which Chromium registers a
// subscription with: its checkin and registration endpoints, on this machine.

import { createServer } from 'node:http';

/**
 * GCM's checkin (a protobuf AndroidCheckinResponse with a device id and security token) and
 * registration (`token=…`) endpoints, as Chromium's GCM client speaks to them
 * (google_apis/gcm/engine/checkin_request.cc, registration_request.cc). Keeps the registration
 * forms it was sent.
 */
export async function startFakeGcm() {
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
