import { useLayoutEffect, useRef } from 'react';

import { useLocale } from '../i18n';
import { useUpdate } from './useUpdate';

/** The CSS variable that keeps the page clear of the banner (pwa.css: #root's bottom padding). */
const SPACE = '--update-banner-space';

/**
 * "A new version is available — Reload": shown while a new version waits (useUpdate.ts), at the
 * bottom of the window; the page above it is made that much shorter, so that it never covers a
 * phone's composer or anything else.
 */
export function UpdateBanner() {
  const { t } = useLocale();
  const { ready, reload } = useUpdate();
  const banner = useRef<HTMLElement>(null);
  useLayoutEffect(() => {
    const element = banner.current;
    if (!ready || !element) return;
    const root = document.documentElement;
    const measure = () => {
      const { top } = element.getBoundingClientRect();
      root.style.setProperty(SPACE, `${Math.max(0, window.innerHeight - top)}px`);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    window.addEventListener('resize', measure);
    return () => {
      observer.disconnect();
      window.removeEventListener('resize', measure);
      root.style.removeProperty(SPACE);
    };
  }, [ready]);
  if (!ready) return null;
  return (
    <aside ref={banner} className="update-banner" aria-label={t('pwa.updateReady')} data-testid="update-banner">
      <p role="status">{t('pwa.updateReady')}</p>
      <button type="button" className="button" data-testid="update-reload" onClick={reload}>
        {t('pwa.reload')}
      </button>
    </aside>
  );
}
