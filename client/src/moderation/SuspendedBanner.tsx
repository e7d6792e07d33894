import type { Suspension } from '../api';
import { useLocale } from '../i18n';
import { suspensionText } from './suspension';

/** Above the (disabled) composer of a suspended account: until when, and why. */
export function SuspendedBanner({ suspension }: { suspension: Suspension }) {
  const { t, locale } = useLocale();
  return (
    <p className="suspended-banner" role="status" data-testid="suspended-banner">
      <span aria-hidden="true">⛔</span> {suspensionText(suspension, t, locale)}
    </p>
  );
}
