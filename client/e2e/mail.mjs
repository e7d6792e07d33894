// The school's mail server in the end-to-end tests: ../tests/smtp/server.py (aiosmtpd, a real
// SMTP server), as the API's email tests run it. It prints `listening on PORT`, then one JSON
// line per message delivered to it, read back with Python's own email parser: the envelope's
// recipients, From, To, Subject, the List-Unsubscribe headers and the text body.
// Its Python: SMTP_SERVER_PYTHON (scripts/test exports it), else scripts/test's virtualenv.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { CLIENT_DIR, killOnExit } from './harness.mjs';

const SERVER = resolve(CLIENT_DIR, '../tests/smtp/server.py');
const START_TIMEOUT_MS = 30_000;

function python() {
  if (process.env.SMTP_SERVER_PYTHON) return process.env.SMTP_SERVER_PYTHON;
  const venv = resolve(CLIENT_DIR, '..', process.env.SMTP_VENV ?? '.data/smtp-venv', 'bin/python');
  if (!existsSync(venv)) {
    throw new Error(`the test mail server's Python is missing (no SMTP_SERVER_PYTHON, no ${venv}): run scripts/test, which builds it`);
  }
  return venv;
}

/**
 * Starts the mail server on a free port of 127.0.0.1. Resolves `{ url, mails, waitFor, stop }`:
 * `url` for `SMTP_URL`, `mails` every message so far in arrival order, `waitFor(predicate)` the
 * first message that matches (waiting for it up to `timeout` ms).
 */
export async function startMailServer() {
  const child = spawn(python(), [SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  killOnExit(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const mails = [];
  const waiting = new Set();
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the mail server did not start: ${stderr}`)), START_TIMEOUT_MS);
    child.once('exit', (code) => fail(new Error(`the mail server exited (${code}): ${stderr}`)));
    lines.on('line', (line) => {
      const listening = /^listening on (\d+)$/.exec(line);
      if (listening) {
        clearTimeout(timer);
        done(Number(listening[1]));
        return;
      }
      mails.push(JSON.parse(line));
      for (const wake of waiting) wake();
    });
  });

  async function waitFor(predicate, timeout = 30_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = mails.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such email within ${timeout} ms; delivered: ${JSON.stringify(mails)}`);
      await new Promise((wake) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          waiting.delete(done);
          wake();
        }
        waiting.add(done);
      });
    }
  }

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.stdin.end(); // it stops when its standard input closes
    await exited;
  }

  return { url: `smtp://127.0.0.1:${port}`, mails, waitFor, stop };
}
