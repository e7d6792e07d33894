// The app's PNG icons (public/icons/), drawn by Chromium from the SVGs in icons/: the manifest's
// 192 and 512 px icons, a maskable one (a full-bleed square, the glyph inside the central safe
// zone, which a launcher may crop to a circle) and Apple's 180 px home-screen icon (opaque: iOS
// fills a transparent one with black). The PNGs are committed; run this after changing an SVG:
// `node scripts/icons.mjs` (uses /usr/bin/chromium, or CHROMIUM).

import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const ICONS = [
  { svg: 'icon.svg', out: 'icon-192.png', size: 192, opaque: false },
  { svg: 'icon.svg', out: 'icon-512.png', size: 512, opaque: false },
  { svg: 'icon-maskable.svg', out: 'icon-maskable-512.png', size: 512, opaque: true },
  { svg: 'icon-maskable.svg', out: 'apple-touch-icon.png', size: 180, opaque: true },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  mkdirSync(`${root}public/icons`, { recursive: true });
  for (const { svg, out, size, opaque } of ICONS) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const markup = readFileSync(`${root}icons/${svg}`, 'utf8').replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block}</style>${markup}`);
    await page.screenshot({ path: `${root}public/icons/${out}`, omitBackground: !opaque });
    await page.close();
    console.log(`icons: public/icons/${out}`);
  }
} finally {
  await browser.close();
}
