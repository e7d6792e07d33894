// Lighthouse (npm, Google's own audits) against the built client on two replicas, in Debian's
// Chromium: a student's conversation on a phone (Lighthouse's mobile profile: a mid-range
// phone, simulated slow 4G) and a teacher's chat list on a desktop. Accessibility and Best
// practices must score 100 and SEO at least 90 in both. Performance is measured, never
// asserted (a noisy two-core machine times it): each run's scores, the first screen's
// transferred bytes and the time to a usable conversation go to
// test-results/lighthouse-<view>.json, and docs/benchmarks.md reports them. Installability is
// Chromium's own check, in pwa.test.mjs (Lighthouse 12 no longer audits it).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { chromium } from 'playwright-core';

import { CHROMIUM, RESULTS_DIR, freePort, startCluster } from './harness.mjs';

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

// Lighthouse's audits run with `scripts/test --all` (E2E_ALL=1); the quick run's axe-core
// sweeps check the same pages' accessibility.
const quick = process.env.E2E_ALL !== '1' && 'with scripts/test --all (E2E_ALL=1)';

let cluster;
let browser;
let port;

before(async () => {
  if (quick) return;
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  port = await freePort();
  // Lighthouse drives the browser over the DevTools protocol, in a tab of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', `--remote-debugging-port=${port}`],
  });
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** The session cookie of a demo user, signed in by the dev login, as a `Cookie` header. */
async function signedIn(email) {
  const response = await fetch(`${cluster.a.url}/api/dev/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  assert.equal(response.status, 200, await response.text());
  return response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
}

/** Lighthouse's report of `url` with `cookie` (every request of the page carries it). */
async function audit(view, url, cookie, config) {
  const flags = { port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES, extraHeaders: { Cookie: cookie } };
  const result = await lighthouse(url, flags, config);
  assert.ok(result, `Lighthouse returned nothing for ${url}`);
  const { lhr } = result;
  assert.equal(lhr.runtimeError, undefined, JSON.stringify(lhr.runtimeError));
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c].score ?? 0) * 100)]));
  const failed = (category) =>
    lhr.categories[category].auditRefs
      .map((ref) => lhr.audits[ref.id])
      .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'notApplicable')
      .map((a) => `${a.id}: ${a.title}`);
  const figures = {
    view,
    lighthouse: lhr.lighthouseVersion,
    scores,
    transferred_bytes: lhr.audits['total-byte-weight'].numericValue,
    first_contentful_paint_ms: lhr.audits['first-contentful-paint'].numericValue,
    largest_contentful_paint_ms: lhr.audits['largest-contentful-paint'].numericValue,
    interactive_ms: lhr.audits.interactive?.numericValue ?? null,
    failed: Object.fromEntries(CATEGORIES.map((c) => [c, failed(c)])),
  };
  writeFileSync(join(RESULTS_DIR, `lighthouse-${view}.json`), JSON.stringify(figures, null, 2));
  console.log(`lighthouse ${view}: ${JSON.stringify(figures)}`);
  assert.equal(scores.accessibility, 100, figures.failed.accessibility.join('; '));
  assert.equal(scores['best-practices'], 100, figures.failed['best-practices'].join('; '));
  assert.ok(scores.seo >= 90, `SEO ${scores.seo}: ${figures.failed.seo.join('; ')}`);
  return figures;
}

test("a student's conversation on a phone (mobile profile, slow 4G): accessible, well made, findable", { skip: quick }, async () => {
  const cookie = await signedIn('maria@demo.school');
  const chats = await fetch(`${cluster.a.url}/api/chats`, { headers: { Cookie: cookie } }).then((r) => r.json());
  const chat = chats.chats[0].id;
  await audit('student-phone', `${cluster.a.url}/chats/${chat}`, cookie, undefined);
});

test("a teacher's chats on a desktop: accessible, well made, findable", { skip: quick }, async () => {
  const cookie = await signedIn('ivan@demo.school');
  await audit('teacher-desktop', `${cluster.b.url}/`, cookie, desktopConfig);
});
