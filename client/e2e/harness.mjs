// Test harness: tutorchat replicas sharing one PostgreSQL, and headless Chromium.
//
// Replica A runs `serve --demo` without DATABASE_URL, so it starts a private PostgreSQL in a
// DATA_DIR of its own (a copy of one run.mjs made for the whole run, or empty) and loads the
// demo users; replica B runs `serve` against A's database, and
// every replica keeps attachments in one shared STORAGE_DIR. Every process started here is
// killed when the run ends, also on failure.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const CLIENT_DIR = resolve(here, '..');
export const SERVER_BIN = resolve(CLIENT_DIR, '../target/debug/tutorchat');
export const DIST_DIR = resolve(CLIENT_DIR, 'dist');
export const RESULTS_DIR = resolve(CLIENT_DIR, 'test-results');
// The full browser, where a test needs what only it has: notifications and the Push API
// (push.test.mjs), Lighthouse's audits as people's browsers run them (lighthouse.test.mjs).
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Every other test drives Chromium's headless shell (Debian's chromium-headless-shell: the same
// version's Blink, V8 and network stack without the browser around them; what Playwright
// launches for headless runs). Over the whole suite on this 2-core machine it took 371 CPU
// seconds where the full browser took 544.
export const HEADLESS_SHELL = process.env.CHROMIUM_HEADLESS_SHELL_PATH ?? '/usr/lib/chromium/chromium-headless-shell';

const START_TIMEOUT_MS = 60_000;

const given = new Set();

/** Whether 127.0.0.1:`port` can be listened on now. */
function bindable(port) {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/**
 * A TCP port on the loopback interface that was free a moment ago, for a process to listen on
 * later. Taken below the kernel's ephemeral range (`net.ipv4.ip_local_port_range`), which
 * outgoing connections draw their ports from: a port handed out for `listen(0)` can be taken by
 * any client's connection before the server binds it ("Address already in use"). Never the same
 * port twice in one run; each call starts looking at a random place, so runs side by side (the
 * Rust tests take theirs from the same range the same way) seldom meet.
 */
export async function freePort() {
  let ephemeral = 32768;
  try {
    ephemeral = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeral;
  } catch {
    // not Linux: the default range's start
  }
  const low = Math.max(1024, ephemeral - 12_000);
  const span = Math.max(1, ephemeral - low);
  const start = Math.floor(Math.random() * span);
  for (let k = 0; k < span; k += 1) {
    const port = low + ((start + k) % span);
    if (!given.has(port) && (await bindable(port))) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${low} and ${ephemeral}`);
}

const running = new Set();
// Last resort if the test process dies without running its `after` hooks.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Kills `child` too if the test process exits without stopping it (for processes started outside this file). */
export function killOnExit(child) {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** One tutorchat process; `start()` resolves once it listens and answers /readyz. */
export class Replica {
  constructor(name, { args, env, port }) {
    this.name = name;
    this.args = args;
    this.env = env;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.child = null;
    this.stderr = '';
  }

  async start() {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const log = createWriteStream(join(RESULTS_DIR, `${this.name}.log`), { flags: 'a' });
    const env = { ...process.env, ...this.env, LISTEN_ADDR: `127.0.0.1:${this.port}` };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
    const child = spawn(SERVER_BIN, this.args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      log.end();
    });
    const exited = new Promise((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`${this.name} exited (${signal ?? code}) before it was ready:\n${this.stderr.slice(-2000)}`)),
      ),
    );
    exited.catch(() => {}); // only awaited while starting
    const listening = new Promise((resolveListening) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk) => {
        log.write(chunk);
        this.stderr += chunk;
        if (this.stderr.includes(`tutorchat: listening on ${this.url}`)) resolveListening();
      });
    });
    await withTimeout(Promise.race([listening, exited]), START_TIMEOUT_MS, `${this.name} did not start`);
    await withTimeout(Promise.race([this.waitReady(), exited]), START_TIMEOUT_MS, `${this.name} never became ready`);
    return this;
  }

  async waitReady() {
    for (;;) {
      try {
        const response = await fetch(`${this.url}/readyz`);
        if (response.status === 200) return;
      } catch {
        // not accepting connections yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The `psql` connection string this replica printed for its private PostgreSQL. */
  databaseUrl() {
    const match = /inspect it with: psql "([^"]+)"/.exec(this.stderr);
    if (!match) throw new Error(`${this.name} printed no private database:\n${this.stderr}`);
    return match[1];
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    try {
      await withTimeout(exited, timeoutMs, `${this.name} did not stop on ${signal}`);
    } catch {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The private PostgreSQL every cluster's replica A starts: a run of several files (run.mjs)
// makes one first, initialised, migrated and holding the demo data, and every cluster starts
// on a copy of it (E2E_SEED_DIR: its `postgres` folder, cleanly stopped), as the API tests copy
// a database migrated once. Replica A's `serve --demo` then migrates and seeds as on every
// start (nothing is left to do: both are idempotent) where it would otherwise run initdb and
// every migration once per file (1.6 CPU seconds of a cluster's start here, 0.3 without).
// A file run on its own starts from an empty folder.
const SEED_DIR = 'E2E_SEED_DIR';

/**
 * Makes the seed in a new folder: `serve --demo` started there with the clusters' settings,
 * until it is ready, and stopped. Returns the folder (remove it when the run ends).
 */
export async function prepareSeed() {
  const dir = mkdtempSync(join(tmpdir(), 'tutorchat-e2e-seed-'));
  chmodSync(dir, 0o755); // reachable by the postgres user, as in startCluster
  const env = { ...sharedEnv(dir), DATA_DIR: dir };
  const replica = new Replica('seed', { args: ['serve', '--demo'], env, port: await freePort() });
  try {
    await replica.start();
  } finally {
    await replica.stop();
  }
  if (!existsSync(join(dir, 'postgres', 'data', 'PG_VERSION'))) throw new Error(`the seed left no database in ${dir}`);
  return dir;
}

/** Copies the seed's PostgreSQL into `dataDir`, if the run made one. */
function copySeed(dataDir) {
  const seed = process.env[SEED_DIR];
  if (!seed) return;
  // cp -a: the data keeps its owner (the postgres user, under root) and its modes.
  const copy = spawnSync('cp', ['-a', join(seed, 'postgres'), join(dataDir, 'postgres')], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`cannot copy the seed database ${seed}: ${copy.stderr}`);
}

/** The settings every replica of a cluster on `dataDir` runs with, before a test's own. */
function sharedEnv(dataDir) {
  return {
    JWT_SECRET: 'tutorchat-e2e-shared-secret-0123456789ab', // the same 40 characters on both
    STATIC_DIR: DIST_DIR,
    SSE_RETRY_MS: '500',
    RUST_LOG: 'info',
    DATABASE_URL: undefined,
    // The tests seed history pages through the API (120 messages in a row), faster than any
    // person types; the per-user write rate is tested on its own (tests/api/limits.rs).
    RATE_WRITES_PER_SEC: '1000',
    RATE_WRITES_BURST: '1000',
    // Editing is off by default (the primary specification); these tests edit messages, as a
    // school that turned it on (editing.test.mjs checks the default).
    MESSAGE_EDITING: 'on',
    // Attachments: one store for every replica (as S3 would be), else a file uploaded through
    // one could not be downloaded through another.
    STORAGE_DIR: join(dataDir, 'attachments'),
  };
}

/**
 * Two replicas on one database: A with the private PostgreSQL and the demo data, B beside it;
 * `env`: settings for both (e.g. QUIET_HOURS), over the harness's own.
 */
export async function startCluster({ env = {} } = {}) {
  for (const [path, what] of [
    [SERVER_BIN, 'the server binary (run `cargo build` in the repository root)'],
    [join(DIST_DIR, 'index.html'), 'the built client (run `npm run build` in client/)'],
    [CHROMIUM, 'Chromium (apt-get install chromium)'],
    [HEADLESS_SHELL, "Chromium's headless shell (apt-get install chromium-headless-shell)"],
  ]) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'tutorchat-e2e-'));
  // Reachable by the postgres user the private server runs as (as root): a folder of mode 0700
  // sends the server's data to a /var/tmp folder of its own, which nothing here removes.
  chmodSync(dataDir, 0o755);
  copySeed(dataDir);
  const shared = { ...sharedEnv(dataDir), ...env };
  const a = new Replica('replica-a', {
    args: ['serve', '--demo'],
    env: { ...shared, DATA_DIR: dataDir },
    port: await freePort(),
  });
  const others = [];
  const cluster = {
    a,
    b: null,
    dataDir,
    /**
     * Another replica on A's database, with extra settings: `env`, or a function of the
     * replica's address (`{ port, url }`) giving them, for settings that name it (PUBLIC_URL).
     * `port`: where it listens, when the test chose it before (to tell another process, e.g.
     * an OpenID Provider its redirect URI); else a free one.
     */
    async addReplica(name, env = {}, { port } = {}) {
      port ??= await freePort();
      const extra = typeof env === 'function' ? env({ port, url: `http://127.0.0.1:${port}` }) : env;
      const replica = new Replica(name, {
        args: ['serve'],
        env: { ...shared, DATABASE_URL: a.databaseUrl(), DEV_LOGIN: 'true', DATA_DIR: join(dataDir, name), ...extra },
        port,
      });
      others.push(replica);
      return replica.start();
    },
    async stop() {
      for (const replica of others) await replica.stop();
      await a.stop(); // also stops the private PostgreSQL
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await a.start();
    cluster.b = await cluster.addReplica('replica-b');
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: HEADLESS_SHELL,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const DESKTOP = { viewport: { width: 1280, height: 800 } };
export const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/**
 * A page in its own browser context (its own cookies: none at first, like a private window),
 * at `path`, recording uncaught errors. The browser's language is `options.locale`: English
 * (en-US) unless a test asks for another, as the app follows it.
 */
export async function openPage(browser, baseURL, options = DESKTOP, path = '/') {
  const context = await browser.newContext({
    locale: 'en-US',
    timezoneId: 'Europe/Moscow',
    reducedMotion: 'reduce', // no transitions half-way through in screenshots
    ...options,
    baseURL,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  watchErrors(page);
  await page.goto(path);
  return page;
}

/** Another tab beside `page`: the same browser context (cookies, language), at `url`. */
export async function openTab(page, url) {
  return openTabIn(page.context(), url);
}

/** A new tab in `context` (its cookies and language), also after all its pages were closed. */
export async function openTabIn(context, url) {
  const tab = await context.newPage();
  watchErrors(tab);
  await tab.goto(url);
  return tab;
}

function watchErrors(page) {
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
}

/**
 * Makes the page believe it is in the background (or in front again): headless Chromium shows
 * every page, so `document.visibilityState` is overridden and `visibilitychange` dispatched.
 */
export async function setHidden(page, hidden) {
  await page.evaluate((hidden) => {
    const state = hidden ? 'hidden' : 'visible';
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}
