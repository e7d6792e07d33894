// The bytes of JavaScript a first visit downloads before the app can start: what the built
// `dist/index.html` loads itself (its module script and the chunks it preloads), raw, and as
// gzip and brotli at the levels the build's precompression uses. `node scripts/first-screen.mjs [dist]`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = process.argv[2] ?? 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)]
  .map((match) => match[1]);

const total = { raw: 0, gzip: 0, brotli: 0 };
for (const src of new Set(scripts)) {
  const bytes = readFileSync(join(dist, src));
  const sizes = {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
  for (const key of Object.keys(total)) total[key] += sizes[key];
  console.log(`${src}\t${sizes.raw}\t${sizes.gzip}\t${sizes.brotli}`);
}
console.log(`first screen JS\t${total.raw}\t${total.gzip}\t${total.brotli}\t(raw, gzip -9, brotli 11 bytes)`);
