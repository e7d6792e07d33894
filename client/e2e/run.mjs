// `npm run e2e`: the end-to-end tests in headless Chromium, every `*.test.mjs` here. Builds
// nothing: it needs ../target/debug/tutorchat (cargo build), dist/ (npm run build) and the test
// OpenID Provider's packages (npm ci --prefix ../tests/oidc). Exits non-zero on failure.

import { spawnSync } from 'node:child_process';
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

mkdirSync(RESULTS_DIR, { recursive: true });
const tap = join(RESULTS_DIR, 'e2e.tap');
rmSync(tap, { force: true });
const result = spawnSync(
  process.execPath,
  [
    '--test',
    // One file at a time: two at once beside the API suite took as long (633 s against 653 s)
    // and slowed the API suite from 302 s to 504 s; the machine is busy either way.
    // E2E_CONCURRENCY=2 runs two files at a time (each has its own PostgreSQL, replicas, ports
    // and browser), for a machine with cores to spare.
    `--test-concurrency=${process.env.E2E_CONCURRENCY ?? 1}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    // Every test file (each starts its own replicas and browser).
    ...readdirSync(here)
      .filter((name) => name.endsWith('.test.mjs'))
      .sort()
      .map((name) => join(here, name)),
  ],
  { stdio: 'inherit' },
);
const counts = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(counts)?.[1] ?? 0);
console.log(`e2e: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed`);
process.exit(result.status ?? 1);
