import { useLocale } from '../i18n';
import { type Presence, presenceLabel } from '../presence';
import { fullDateTime } from '../time';
import { useNow } from '../useNow';

/** "online", "last seen 5 minutes ago", "offline": kept current as time passes. */
export function PresenceStatus({ presence, testId }: { presence: Presence; testId?: string }) {
  const { t, locale } = useLocale();
  const now = useNow(15_000);
  return (
    <span
      className={`presence-status${presence.online ? ' online' : ''}`}
      data-testid={testId}
      data-online={String(presence.online)}
      title={presence.lastSeen ? fullDateTime(presence.lastSeen, locale) : undefined}
    >
      {presenceLabel(presence, now, t, locale)}
    </span>
  );
}
