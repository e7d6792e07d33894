// `npm run e2e`: the end-to-end tests in headless Chromium. Builds nothing: it needs
// ../target/debug/tutorchat (cargo build) and dist/ (npm run build). Exits non-zero on failure.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, DIST_DIR, SERVER_BIN } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const missing = [
  [SERVER_BIN, 'the server binary: run `cargo build` in the repository root'],
  [join(DIST_DIR, 'index.html'), 'the built client: run `npm run build` in client/'],
  [CHROMIUM, 'Chromium: apt-get install chromium (or set CHROMIUM_PATH)'],
].filter(([path]) => !existsSync(path));
for (const [path, what] of missing) console.error(`e2e: missing ${what} (${path})`);
if (missing.length > 0) process.exit(2);

const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', join(here, 'app.test.mjs')],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
