// `npm run e2e [-- file.test.mjs …]`: the end-to-end tests in headless Chromium, every
// `*.test.mjs` here (or those named). Builds nothing: it needs ../target/debug/tutorchat (cargo
// build), dist/ (npm run build) and the test OpenID Provider's packages (npm ci --prefix
// ../tests/oidc). Exits non-zero on failure.
//
// Each file runs in a `node --test` of its own (each starts its own PostgreSQL, replicas, ports
// and browser), its output shown whole when it ends. How many at once: E2E_CONCURRENCY if set;
// otherwise one while the file E2E_BESIDE names exists, two once it does not. `scripts/test`
// names a file that exists while the API suite runs beside: two browsers at once there slowed
// the API suite from 302 s to 504 s and gained nothing, while alone one browser keeps one of the
// two cores busy and the other mostly idle.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, DIST_DIR, RESULTS_DIR, SERVER_BIN } from './harness.mjs';
import { PROVIDER_MODULES } from './school.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const missing = [
  [SERVER_BIN, 'the server binary: run `cargo build` in the repository root'],
  [join(DIST_DIR, 'index.html'), 'the built client: run `npm run build` in client/'],
  [CHROMIUM, 'Chromium: apt-get install chromium (or set CHROMIUM_PATH)'],
  [PROVIDER_MODULES, "the test OpenID Provider's packages: run `npm ci --prefix tests/oidc` in the repository root"],
].filter(([path]) => !existsSync(path));
for (const [path, what] of missing) console.error(`e2e: missing ${what} (${path})`);
if (missing.length > 0) process.exit(2);

// The files that take longest (a minute or more each, measured) start first, so that the last
// ones to start are short and the two lanes end together; the rest in name order.
const LONGEST = ['accessibility.test.mjs', 'accessibility_roles.test.mjs', 'app.test.mjs', 'moderation.test.mjs'];
// `npm run e2e -- pins.test.mjs …`: only those files.
const asked = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.test.mjs') && (asked.length === 0 || asked.includes(name)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
function rank(name) {
  const i = LONGEST.indexOf(name);
  return i < 0 ? LONGEST.length : i;
}

const taps = join(RESULTS_DIR, 'tap');
rmSync(taps, { recursive: true, force: true });
mkdirSync(taps, { recursive: true });

function lanes() {
  if (process.env.E2E_CONCURRENCY) return Math.max(1, Number(process.env.E2E_CONCURRENCY) || 1);
  const beside = process.env.E2E_BESIDE;
  return beside && existsSync(beside) ? 1 : 2;
}

/** One file in a `node --test` of its own: its spec output, kept until it ends. */
function runFile(name) {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${join(taps, `${name}.tap`)}`,
      join(here, name),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      process.stdout.write(Buffer.concat(output));
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`e2e: ${name} ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${seconds} s`);
      resolve(code === 0);
    });
  });
}

const queue = [...files];
const running = new Set();
let allPassed = true;
while (queue.length > 0 || running.size > 0) {
  while (queue.length > 0 && running.size < lanes()) {
    const run = runFile(queue.shift()).then((passed) => {
      allPassed &&= passed;
      running.delete(run);
    });
    running.add(run);
  }
  // Wake when a file ends, or a second later to see whether a lane has opened.
  await Promise.race([...running, new Promise((resolve) => setTimeout(resolve, 1000))]);
}

const counts = files.map((name) => join(taps, `${name}.tap`)).filter(existsSync).map((tap) => readFileSync(tap, 'utf8'));
const count = (name) =>
  counts.reduce((sum, tap) => sum + Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0), 0);
const failed = count('fail') + count('cancelled');
console.log(`e2e: ${count('pass')} passed, ${failed} failed`);
process.exit(allPassed && failed === 0 ? 0 : 1);
