import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

import { afterEach, describe, expect, it } from 'vitest';

import { precompress } from './precompress.mjs';

describe('precompress', () => {
  let dir;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes .br and .gz beside text files that decode to the same bytes, and skips the rest', () => {
    dir = mkdtempSync(join(tmpdir(), 'precompress-'));
    mkdirSync(join(dir, 'assets'));
    const script = 'export const greeting = (name) => `hello, ${name}`;\n'.repeat(100);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), script);
    writeFileSync(join(dir, 'index.html'), `<!doctype html>${'<p>tutorchat</p>'.repeat(100)}`);
    writeFileSync(join(dir, 'robots.txt'), 'User-agent: *\n'); // too small to bother
    writeFileSync(join(dir, 'icon.png'), Buffer.alloc(4096)); // not text

    expect(precompress(dir).sort()).toEqual(['assets/index-abc123.js', 'index.html']);
    const asset = join(dir, 'assets', 'index-abc123.js');
    expect(brotliDecompressSync(readFileSync(`${asset}.br`)).toString()).toBe(script);
    expect(gunzipSync(readFileSync(`${asset}.gz`)).toString()).toBe(script);
    expect(readFileSync(`${asset}.br`).length).toBeLessThan(script.length / 10);
    for (const skipped of ['robots.txt', 'icon.png']) {
      expect(existsSync(join(dir, `${skipped}.br`))).toBe(false);
      expect(existsSync(join(dir, `${skipped}.gz`))).toBe(false);
    }
  });
});
