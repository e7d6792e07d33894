// The desktop's side of notifications for the push tests (push.test.mjs): a private session bus
// (dbus-daemon) and a notification server on it (org.freedesktop.Notifications) that records
// what Chromium shows and clicks one as a desktop does.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

import { killOnExit } from '../harness.mjs';
import { KIND, decodeMessage, encodeMessage } from './dbus.mjs';

/** A private session bus: `dbus-daemon` listening on a socket in `dir`. */
export async function startBus(dir) {
  const config = join(dir, 'bus.conf');
  const socket = join(dir, 'bus.sock');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
`,
  );
  const child = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  const address = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk));
    child.once('error', (error) => reject(new Error(`cannot start dbus-daemon (apt-get install dbus-daemon): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}): ${err}`)));
  });
  return { address, socket, child };
}

/**
 * The desktop's notification server (org.freedesktop.Notifications) on the bus at `socket`:
 * `shown` holds what Chromium shows ({ id, app, summary, body, actions, hints }), `click(id)`
 * clicks one as a desktop does (the ActionInvoked signal with the "default" action).
 */
export async function startNotificationServer(socket) {
  const connection = createConnection(socket);
  await new Promise((resolve, reject) => {
    connection.once('connect', resolve);
    connection.once('error', reject);
  });
  connection.write(`\0AUTH EXTERNAL ${Buffer.from(String(process.getuid())).toString('hex')}\r\n`);
  await new Promise((resolve, reject) => {
    let line = '';
    const onData = (chunk) => {
      line += chunk.toString('latin1');
      if (!line.includes('\r\n')) return;
      connection.off('data', onData);
      if (line.startsWith('OK ')) resolve();
      else reject(new Error(`D-Bus refused the connection: ${line.trim()}`));
    };
    connection.on('data', onData);
  });
  connection.write('BEGIN\r\n');

  let serial = 0;
  let nextId = 1;
  let received = Buffer.alloc(0);
  const calls = new Map();
  const shown = [];
  const watchers = new Set();
  const send = (kind, fields, signature, body) => {
    connection.write(encodeMessage(kind, ++serial, fields, signature, body));
    return serial;
  };
  const reply = (call, signature, body) => send(KIND.reply, { replySerial: call.serial, destination: call.sender }, signature, body);
  const signal = (member, signature, body) =>
    send(KIND.signal, { path: '/org/freedesktop/Notifications', interface: 'org.freedesktop.Notifications', member }, signature, body);
  const changed = () => watchers.forEach((watch) => watch());
  const busCall = (member, signature, body) =>
    new Promise((resolve, reject) => {
      const s = send(
        KIND.call,
        { path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, destination: 'org.freedesktop.DBus' },
        signature,
        body,
      );
      calls.set(s, { resolve, reject });
    });

  const onCall = (call) => {
    const ours = !call.interface || call.interface === 'org.freedesktop.Notifications';
    if (ours && call.member === 'GetCapabilities') return reply(call, 'as', [['actions', 'body']]);
    if (ours && call.member === 'GetServerInformation') return reply(call, 'ssss', ['tutorchat-e2e', 'tutorchat', '1.0', '1.2']);
    if (ours && call.member === 'Notify') {
      const [app, replaces, , summary, body, actions, hints] = call.body;
      const id = replaces || nextId++;
      const notification = { id, app, summary, body, actions, hints: Object.fromEntries(hints.map(([k, [, v]]) => [k, v])) };
      const at = shown.findIndex((n) => n.id === id);
      if (at >= 0) shown[at] = notification;
      else shown.push(notification);
      reply(call, 'u', [id]);
      return changed();
    }
    if (ours && call.member === 'CloseNotification') {
      const [id] = call.body;
      const at = shown.findIndex((n) => n.id === id);
      if (at >= 0) shown.splice(at, 1);
      reply(call, '', []);
      signal('NotificationClosed', 'uu', [id, 3]); // 3: closed by a call to CloseNotification
      return changed();
    }
    send(KIND.error, { replySerial: call.serial, destination: call.sender, error: 'org.freedesktop.DBus.Error.UnknownMethod' }, 's', [
      `no method ${call.interface}.${call.member} here`,
    ]);
  };

  connection.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    for (let next = decodeMessage(received); next; next = decodeMessage(received)) {
      received = received.subarray(next.size);
      const { message } = next;
      if (message.kind === KIND.call) onCall(message);
      else if (message.kind === KIND.reply || message.kind === KIND.error) {
        const waiting = calls.get(message.replySerial);
        calls.delete(message.replySerial);
        if (message.kind === KIND.reply) waiting?.resolve(message.body);
        else waiting?.reject(new Error(`${message.error}: ${message.body[0]}`));
      }
    }
  });

  await busCall('Hello');
  const [owned] = await busCall('RequestName', 'su', ['org.freedesktop.Notifications', 4]); // 4: do not queue
  assert.equal(owned, 1, 'this is the primary owner of org.freedesktop.Notifications');

  return {
    shown,
    /** Waits until `predicate(shown)` gives something, and returns it. */
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = predicate(shown);
          if (!found) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`the desktop never showed that within ${timeoutMs} ms; it shows ${JSON.stringify(shown)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    click(id) {
      signal('ActionInvoked', 'us', [id, 'default']);
    },
    close() {
      connection.destroy();
    },
  };
}
