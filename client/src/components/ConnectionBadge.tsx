import { useLocale } from '../i18n';
import type { Connection } from '../stream/useEventStream';

/** The live stream's state; `data-state` is exactly "live", "reconnecting" or "ended" in any language. */
export function ConnectionBadge({ connection }: { connection: Connection }) {
  const { t } = useLocale();
  return (
    <span
      className={`connection connection-${connection}`}
      data-testid="connection"
      data-state={connection}
      role="status"
      title={t(`connection.${connection}Hint`)}
    >
      {t(`connection.${connection}`)}
    </span>
  );
}
