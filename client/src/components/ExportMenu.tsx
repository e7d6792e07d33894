import { useEffect, useId, useRef, useState } from 'react';

import { useLocale } from '../i18n';
import { EXPORT_FORMATS, exportUrl } from '../moderation/moderationApi';

/**
 * "Export" in a chat's header: a menu of plain download links (JSON, HTML, PDF). The server
 * answers each as an attachment, in the UI's language (`lang`: the RU/EN switch may differ from
 * the browser's Accept-Language); the session cookie goes with the link.
 */
export function ExportMenu({ chatId }: { chatId: number }) {
  const { t, language } = useLocale();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);

  // A click elsewhere or Escape closes it.
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div className="export-menu" ref={root}>
      <button
        type="button"
        className="button button-quiet header-action"
        data-testid="export-button"
        aria-expanded={open}
        aria-controls={menuId}
        title={t('export.label')}
        onClick={() => setOpen((now) => !now)}
      >
        {t('export.button')}
      </button>
      <ul id={menuId} className="export-links" hidden={!open} aria-label={t('export.label')}>
        {EXPORT_FORMATS.map((format) => (
          <li key={format}>
            <a
              href={exportUrl(chatId, format, { lang: language })}
              download
              data-testid={`export-${format}`}
              title={t('export.download', { format: t(`export.${format}`) })}
              onClick={() => setOpen(false)}
            >
              {t(`export.${format}`)}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
