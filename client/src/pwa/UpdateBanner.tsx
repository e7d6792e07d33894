import { useLocale } from '../i18n';
import { useUpdate } from './useUpdate';

/** "A new version is available — Reload": shown while a new version waits (useUpdate.ts). */
export function UpdateBanner() {
  const { t } = useLocale();
  const { ready, reload } = useUpdate();
  if (!ready) return null;
  return (
    <aside className="update-banner" aria-label={t('pwa.updateReady')} data-testid="update-banner">
      <p role="status">{t('pwa.updateReady')}</p>
      <button type="button" className="button" data-testid="update-reload" onClick={reload}>
        {t('pwa.reload')}
      </button>
    </aside>
  );
}
