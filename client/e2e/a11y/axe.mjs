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

/**
 * The findings of a run of views, readably: each rule once (its impact and summary), each element
 * once with what to fix, and in which views it fails, so that one cause found in every view is
 * one line to read.
 */
export function describe(findings) {
  const rules = new Map(); // rule id → { title, elements: Map(selector + fix → views) }
  const add = (id, title, element, view) => {
    if (!rules.has(id)) rules.set(id, { title, elements: new Map() });
    const { elements } = rules.get(id);
    if (!elements.has(element)) elements.set(element, []);
    elements.get(element).push(view);
  };
  for (const { view, violations, problems } of findings) {
    for (const problem of problems) add('structure', 'structure', problem, view);
    for (const { id, impact, help, nodes } of violations) {
      for (const { target, summary } of nodes) {
        const fix = summary.split('\n').map((l) => l.trim()).filter(Boolean).slice(1, 3).join(' / ');
        add(id, `${id} (${impact}): ${help}`, fix ? `${target}\n      ${fix}` : target, view);
      }
    }
  }
  const lines = [];
  for (const { title, elements } of rules.values()) {
    lines.push(title);
    for (const [element, views] of elements) lines.push(`    ${element}\n      in: ${views.join('; ')}`);
  }
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
    assertClean() {
      if (findings.length === 0) return;
      const failed = findings.map((f) => f.view).join('; ');
      assert.fail(`${findings.length} of ${audited} views fail WCAG 2.1 AA (axe-core): ${failed}\n${describe(findings)}`);
    },
  };
}
