/**
 * Sizes a textarea to its text. Measuring needs it collapsed for a moment; its form keeps its
 * height meanwhile, so the message list beside it never sees the collapse (the browser would
 * clamp the list's scroll position to the briefly larger view and leave it scrolled up).
 */
export function fitHeight(el: HTMLTextAreaElement | null): void {
  if (!el) return;
  const form = el.form;
  if (form) form.style.minHeight = `${form.offsetHeight}px`;
  el.style.height = 'auto';
  el.style.height = `${el.scrollHeight}px`;
  if (form) form.style.minHeight = '';
}
