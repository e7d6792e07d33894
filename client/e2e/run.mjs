// `npm run e2e [-- file.test.mjs …]`: the end-to-end tests in headless Chromium, every
// `*.test.mjs` here (or those named). Builds nothing: it needs ../target/debug/tutorchat (cargo
// build), dist/ (npm run build) and the test OpenID Provider's packages (npm ci --prefix
// ../tests/oidc). Exits non-zero on failure.
//
// Each file runs in a `node --test` of its own (each starts its own PostgreSQL, replicas, ports
// and browser), its output shown whole when it ends. How many at once: E2E_CONCURRENCY if set;
// otherwise as many as the machine has room for, up to six. A file mostly waits (on its
// browsers, its servers, the time a test gives something to happen): alone, one used about a
// seventh of this 2-core machine, and four at once under half of it. So another file starts
// whenever the processors were at least an eighth idle over the last two seconds, and a file
// just started has a few seconds to settle first; beside a busy neighbour (`scripts/test` runs
// the API suite alongside) that is one file at a time, and more as the neighbour ends. (With
// at most four, and a quarter idle, the whole suite alone took 244 s and left 110 of its CPU
// seconds idle; with these, 226 s and 61. With 1.5 s to settle rather than 3, alone 201 s and
// 47 where 3 s took 211 s and 64 that day; but `scripts/test` gained nothing, and in CI, where
// the files run beside the benchmark tool's tests, the suites took 128 s longer, so 3 s it is.)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, DIST_DIR, HEADLESS_SHELL, RESULTS_DIR, SERVER_BIN, prepareSeed } from './harness.mjs';
import { PROVIDER_MODULES } from './school.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const missing = [
  [SERVER_BIN, 'the server binary: run `cargo build` in the repository root'],
  [join(DIST_DIR, 'index.html'), 'the built client: run `npm run build` in client/'],
  [CHROMIUM, 'Chromium: apt-get install chromium (or set CHROMIUM_PATH)'],
  [HEADLESS_SHELL, "Chromium's headless shell: apt-get install chromium-headless-shell (or set CHROMIUM_HEADLESS_SHELL_PATH)"],
  [PROVIDER_MODULES, "the test OpenID Provider's packages: run `npm ci --prefix tests/oidc` in the repository root"],
].filter(([path]) => !existsSync(path));
for (const [path, what] of missing) console.error(`e2e: missing ${what} (${path})`);
if (missing.length > 0) process.exit(2);

// The files that take longest (measured in scripts/test --all; the quick run's order is nearly
// the same) start first, so that the last ones to start are short and the lanes end together;
// the rest in name order.
const LONGEST = [
  'app.test.mjs',
  'accessibility_roles.test.mjs',
  'accessibility.test.mjs',
  'moderation.test.mjs',
  'device.test.mjs',
  'sessions.test.mjs',
  'lighthouse.test.mjs',
  'announcements.test.mjs',
  'phone_layout.test.mjs',
  'provisioning.test.mjs',
  'pwa.test.mjs',
];
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

const MAX_LANES = 6;
const TEST_TIMEOUT_MS = 600_000;
const SETTLE_MS = 3_000;
const IDLE_ENOUGH = 1 / 8;

/**
 * The processors' idle and total time so far, from /proc/stat (null where there is none); time
 * spent on niced work counts as idle, as it yields to ours (CI builds the compose image at the
 * lowest priority meanwhile).
 */
function cpuTimes() {
  try {
    const [user, nice, system, idle, iowait, ...rest] = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = [user, nice, system, idle, iowait, ...rest].reduce((sum, n) => sum + (n || 0), 0);
    return { idle: idle + (iowait || 0) + nice, total };
  } catch {
    return null;
  }
}

let sampled = cpuTimes();
let idleShare = 1;
/** The share of the processors' time that was idle since the last sample, every two seconds. */
function sampleIdle() {
  const now = cpuTimes();
  if (now && sampled && now.total > sampled.total) {
    idleShare = (now.idle - sampled.idle) / (now.total - sampled.total);
  }
  sampled = now;
}
setInterval(sampleIdle, 2_000).unref();

let lastStart = 0;
/** Whether another file may start beside the `running` ones. */
function roomForAnother(running) {
  if (process.env.E2E_CONCURRENCY) return running < Math.max(1, Number(process.env.E2E_CONCURRENCY) || 1);
  if (running === 0) return true;
  return running < MAX_LANES && Date.now() - lastStart >= SETTLE_MS && idleShare >= IDLE_ENOUGH;
}

/** One file in a `node --test` of its own: its spec output, kept until it ends. */
function runFile(name) {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '--test',
      // A test, or a whole file, that hangs fails after this long (the slowest file took 206 s
      // under CI's load, its slowest test 33 s) rather than holding the run until CI's end.
      `--test-timeout=${TEST_TIMEOUT_MS}`,
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

// The database every file's cluster starts on a copy of (harness.mjs, prepareSeed), made once.
if (files.length > 1) {
  const started = Date.now();
  const seed = await prepareSeed();
  process.env.E2E_SEED_DIR = seed; // the files' processes inherit it
  process.on('exit', () => rmSync(seed, { recursive: true, force: true }));
  console.log(`e2e: the clusters' database made in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const queue = [...files];
const running = new Set();
let allPassed = true;
while (queue.length > 0 || running.size > 0) {
  while (queue.length > 0 && roomForAnother(running.size)) {
    lastStart = Date.now();
    const name = queue.shift();
    console.log(`e2e: ${name} starts beside ${running.size} (idle ${(idleShare * 100).toFixed(0)}%)`);
    const run = runFile(name).then((passed) => {
      allPassed &&= passed;
      running.delete(run);
    });
    running.add(run);
  }
  // Wake when a file ends, or a second later to see whether there is room for another.
  await Promise.race([...running, new Promise((resolve) => setTimeout(resolve, 1000))]);
}

const counts = files.map((name) => join(taps, `${name}.tap`)).filter(existsSync).map((tap) => readFileSync(tap, 'utf8'));
const count = (name) =>
  counts.reduce((sum, tap) => sum + Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0), 0);
const failed = count('fail') + count('cancelled');
console.log(`e2e: ${count('pass')} passed, ${failed} failed`);
process.exit(allPassed && failed === 0 ? 0 : 1);
