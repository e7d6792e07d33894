// What "works on a phone" means, measured in the page (phone_layout.test.mjs): nothing scrolls
// sideways, nothing visible reaches past the screen's left or right edge, and every control can
// be brought into view and is the thing under its own centre (not covered by another).

import assert from 'node:assert/strict';

/**
 * The problems of the page's layout now, as sentences (none: an empty list). `scope`: a CSS
 * selector whose controls must be reachable (a dialog or a menu that covers the rest); the
 * whole page's width is checked all the same.
 */
export function layoutProblems(page, scope = 'body') {
  const device = page.viewportSize();
  return page.evaluate(({ scope, device }) => {
    // A phone's browser zooms a page wider than its screen out until it fits: the layout then
    // gets a wider `innerWidth` than the screen has (and everything comes out small).
    const width = Math.min(window.innerWidth, device.width);
    const height = Math.min(window.innerHeight, device.height);
    const problems = [];
    if (window.innerWidth !== device.width) {
      problems.push(`the page is zoomed out to ${window.innerWidth} px on a ${device.width} px screen`);
    }
    const name = (el) => {
      const id = el.dataset.testid ? `[data-testid="${el.dataset.testid}"]` : '';
      const classes = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `<${el.tagName.toLowerCase()}${id}${classes}> "${text}"`;
    };
    const root = document.documentElement;
    if (root.scrollWidth > width) problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in ${width}`);

    // An element's box as it is painted: cut by every ancestor that clips (overflow hidden or
    // clip, a text cut with an ellipsis). A scrolling ancestor cuts only vertically: what it
    // scrolls out of view up or down is reached by scrolling it; sideways, nothing here is
    // meant to scroll, so what sticks out of it counts, wherever it is.
    const visibleBox = (el) => {
      const rect = el.getBoundingClientRect();
      let { left, right, top, bottom } = rect;
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        const box = up.getBoundingClientRect();
        const clipsX = style.overflowX === 'hidden' || style.overflowX === 'clip';
        const clipsY = style.overflowY !== 'visible';
        if (clipsX) [left, right] = [Math.max(left, box.left), Math.min(right, box.right)];
        if (clipsY) [top, bottom] = [Math.max(top, box.top), Math.min(bottom, box.bottom)];
      }
      return { left, right, top, bottom };
    };
    const shown = (el) => {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) return false;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden') return false;
      // Text for screen readers only (.visually-hidden: 1 px, clipped away).
      if (el.closest('.visually-hidden')) return false;
      return true;
    };

    for (const el of document.body.querySelectorAll('*')) {
      if (!shown(el)) continue;
      const box = visibleBox(el);
      if (box.right <= box.left || box.bottom <= box.top) continue; // cut away entirely
      if (box.left < -0.5 || box.right > width + 0.5) {
        problems.push(`${name(el)} reaches past the screen: ${Math.round(box.left)}…${Math.round(box.right)} of ${width}`);
      }
    }
    // A container that scrolls sideways hides part of what it holds behind a gesture nobody
    // expects on a phone.
    for (const el of document.body.querySelectorAll('*')) {
      const style = getComputedStyle(el);
      if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1 && shown(el)) {
        problems.push(`${name(el)} scrolls sideways: ${el.scrollWidth} px in ${el.clientWidth}`);
      }
    }

    const controls = document.querySelector(scope)?.querySelectorAll('button, a[href], input, textarea, select, summary') ?? [];
    for (const el of controls) {
      if (!shown(el)) continue;
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const rect = el.getBoundingClientRect();
      const x = rect.left + rect.width / 2;
      const y = rect.top + rect.height / 2;
      if (rect.left < -0.5 || rect.right > width + 0.5 || rect.top < -0.5 || rect.bottom > height + 0.5) {
        problems.push(
          `${name(el)} cannot be brought into view: ${Math.round(rect.left)},${Math.round(rect.top)} ${Math.round(rect.width)}×${Math.round(rect.height)}`,
        );
        continue;
      }
      const hit = document.elementFromPoint(x, y);
      if (hit !== el && !el.contains(hit) && !(el.labels && [...el.labels].some((label) => label.contains(hit)))) {
        problems.push(`${name(el)} is covered by ${hit ? name(hit) : 'nothing'}`);
      }
    }
    window.scrollTo(0, 0);
    return problems;
  }, { scope, device });
}

/** Asserts the page's layout has no problem (see `layoutProblems`); `where` names the view. */
export async function assertFits(page, where, scope) {
  const problems = await layoutProblems(page, scope);
  assert.deepEqual(problems, [], `${where}: ${problems.length} problem(s)`);
}
