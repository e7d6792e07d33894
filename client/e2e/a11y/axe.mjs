// axe-core in the tests' pages: its WCAG 2.1 A and AA rules on a whole page, the landmarks and
// headings a view must have besides (axe tags those two as best practice, not WCAG), and a
// readable list of what failed. `audit(page, view)` records; `assertClean()` fails once, naming
// every view and every violation (rule, impact, the elements' selectors, what to fix).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { source } = createRequire(import.meta.url)('axe-core');

/** The rules run: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * axe-core's violations of WCAG 2.1 AA on `page` now: `[{ id, impact, help, nodes: [{ target,
 * summary }] }]`. Injected through the DevTools protocol (the page's own scripts and its
 * Content-Security-Policy are not involved), once per document.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(source);
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })),
    }));
  }, WCAG_AA);
}

/**
 * What the page's structure lacks: a `main` landmark (exactly one) and exactly one level-one
 * heading, as assistive technology sees them (hidden ones, and those behind a modal, aside only
 * when not rendered at all).
 */
export function structureProblems(page) {
  return page.evaluate(() => {
    const rendered = (el) => el.getClientRects().length > 0 || el.classList.contains('visually-hidden');
    const mains = [...document.querySelectorAll('main, [role="main"]')].filter(rendered);
    const h1s = [...document.querySelectorAll('h1, [role="heading"][aria-level="1"]')].filter(rendered);
    const problems = [];
    if (mains.length !== 1) problems.push(`${mains.length} main landmarks (one expected)`);
    if (h1s.length !== 1) {
      problems.push(`${h1s.length} level-one headings (one expected): ${h1s.map((h) => JSON.stringify(h.textContent)).join(', ')}`);
    }
    return problems;
  });
}

/** One violation, readably: the rule, its impact and summary, then each element and what to fix. */
export function describe({ id, impact, help, nodes }) {
  const lines = [`  ${id} (${impact}): ${help}`];
  for (const node of nodes.slice(0, 8)) {
    lines.push(`    ${node.target}`);
    const fix = node.summary.split('\n').filter(Boolean).slice(0, 3).join(' / ');
    if (fix) lines.push(`      ${fix}`);
  }
  if (nodes.length > 8) lines.push(`    … and ${nodes.length - 8} more`);
  return lines.join('\n');
}

/** Records the audits of a run of views; `assertClean` fails with all of them at once. */
export function auditor() {
  const findings = [];
  let audited = 0;
  return {
    /** Runs axe and the structure checks on `page` as it is now, under the name `view`. */
    async audit(page, view, { structure = true } = {}) {
      audited += 1;
      const violations = await axeViolations(page);
      const problems = structure ? await structureProblems(page) : [];
      if (violations.length > 0 || problems.length > 0) findings.push({ view, violations, problems });
    },
    /** How many views were audited, and which failed (for the test's own message). */
    get audited() {
      return audited;
    },
    assertClean() {
      if (findings.length === 0) return;
      const text = findings
        .map(({ view, violations, problems }) =>
          [`${view}:`, ...problems.map((p) => `  structure: ${p}`), ...violations.map(describe)].join('\n'),
        )
        .join('\n');
      assert.fail(`${findings.length} of ${audited} views fail WCAG 2.1 AA (axe-core):\n${text}`);
    },
  };
}
