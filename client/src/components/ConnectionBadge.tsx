import { useLocale } from '../i18n';
import type { Connection } from '../useEventStream';

/** The live stream's state; `data-state` is exactly "live" or "reconnecting" in any language. */
export function ConnectionBadge({ connection }: { connection: Connection }) {
  const { t } = useLocale();
  return (
    <span
      className={`connection connection-${connection}`}
      data-testid="connection"
      data-state={connection}
      role="status"
      title={t(connection === 'live' ? 'connection.liveHint' : 'connection.reconnectingHint')}
    >
      {t(`connection.${connection}`)}
    </span>
  );
}
