import { useLocale } from '../i18n';
import type { GuestEnd } from '../inquiry/inquiry';

interface Props {
  /** When the server closed the inquiry (RFC 3339), if known. */
  closedAt: string | null;
  /** The guest's view: their session ended with the chat (`closed`) or their credential (`expired`); null for the teacher and admins. */
  guestEnd: GuestEnd | null;
  /** Why it closed, when this session saw it close (`blocked`, `guardian_request`, …). */
  reason?: string | undefined;
  /** A direct chat (closed by the school on a guardian's request), not an inquiry. */
  direct?: boolean;
  /** A family chat: it closes only when one of its pair blocks the other. */
  family?: boolean;
}

/**
 * Where the composer was, once an inquiry is closed. The teacher (and admins) still read it;
 * for the guest their visit is over (the server refuses their credential from then on), and
 * a new question needs the link again.
 */
export function ClosedNotice({ closedAt, guestEnd, reason, direct = false, family = false }: Props) {
  const { t } = useLocale();
  if (guestEnd !== null) {
    return (
      <p className="read-only" role="status" data-testid="guest-ended" data-reason={guestEnd} data-closed-at={closedAt ?? undefined}>
        <span aria-hidden="true">🔒</span>
        <strong>{t(guestEnd === 'closed' ? 'inquiry.guestClosed' : 'inquiry.guestEnded')}</strong>
      </p>
    );
  }
  // A snapshot does not say why: a direct chat closes only on a guardian's request.
  const [title, hint] = family
    ? (['blocking.familyBlocked', 'blocking.familyBlockedHint'] as const)
    : reason === 'blocked'
      ? (['blocking.blocked', 'blocking.blockedHint'] as const)
      : reason === 'guardian_request' || direct
        ? (['blocking.closedByRequest', 'blocking.closedByRequestHint'] as const)
        : (['inquiry.closed', 'inquiry.closedHint'] as const);
  return (
    <p className="read-only" data-testid="chat-closed" data-reason={reason} data-closed-at={closedAt ?? undefined}>
      <span aria-hidden="true">🔒</span>
      <span>
        <strong>{t(title)}</strong>. {t(hint)}
      </span>
    </p>
  );
}
