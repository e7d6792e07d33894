// A message marked for a moment after a jump to it (from a quote, or a search result): scrolled
// to the middle of its list and given the `highlight` class (styles/replies.css) for HIGHLIGHT_MS.

import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';

/** How long a message stays marked after a jump to it. */
export const HIGHLIGHT_MS = 1_600;

export function useHighlight(list: RefObject<HTMLElement | null>) {
  const [highlightId, setHighlightId] = useState<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  /** Scrolls message `id` into view and marks it; false if it is not in the list. */
  const reveal = useCallback(
    (id: number, smooth: boolean): boolean => {
      const target = list.current?.querySelector(`[data-testid="message-${id}"]`);
      if (!target) return false;
      const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      target.scrollIntoView({ block: 'center', behavior: smooth && !reduceMotion ? 'smooth' : 'auto' });
      setHighlightId(id);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setHighlightId(null), HIGHLIGHT_MS);
      return true;
    },
    [list],
  );

  return { highlightId, reveal };
}
