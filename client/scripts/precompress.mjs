// The build's last step (`npm run build`): beside every text file of the built client, its
// brotli (`.br`, quality 11) and gzip (`.gz`, level 9) variants, which the server sends to
// browsers that accept them (src/client.rs: ServeDir's precompressed variants). Compressed
// once here at the highest levels, rather than on every request at a level fast enough for
// that. A file under 1 KiB, or one a variant would not make smaller, is left alone (the server
// then sends it as it is). `node scripts/precompress.mjs [dist]`; fails if it compressed nothing.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** The files worth it: text. Images, fonts and the like are compressed already. */
const TEXT = /\.(js|mjs|css|html|svg|json|webmanifest|txt|map)$/;
const MIN_BYTES = 1024;

/** Writes the variants under `dir`; answers the files it compressed (relative paths). */
export function precompress(dir) {
  const done = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !TEXT.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = readFileSync(path);
    if (bytes.length < MIN_BYTES) continue;
    const variants = {
      br: brotliCompressSync(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
      }),
      gz: gzipSync(bytes, { level: 9 }),
    };
    let wrote = false;
    for (const [suffix, compressed] of Object.entries(variants)) {
      if (compressed.length >= bytes.length) continue;
      writeFileSync(`${path}.${suffix}`, compressed);
      wrote = true;
    }
    if (wrote) done.push(path.slice(dir.length + 1));
  }
  return done;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? 'dist';
  const done = precompress(dir);
  if (done.length === 0) {
    console.error(`precompress: nothing to compress in ${dir} (was the client built?)`);
    process.exit(1);
  }
  console.log(`precompress: .br and .gz beside ${done.length} files of ${dir}`);
}
