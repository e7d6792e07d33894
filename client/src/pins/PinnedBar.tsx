import { useState } from 'react';

import { useLocale } from '../i18n';
import { type ShownPin, firstLine } from './pins';

interface Props {
  /** The pins to show, newest pin first (`shownPins`). */
  pins: ShownPin[];
  /** Whether the caller may unpin (the same people who pin). */
  canUnpin: boolean;
  /** Brings the message into view, marked (Enter or a click on its line). */
  onJump: (messageId: number) => void;
  onUnpin: (messageId: number) => void;
  /** Why the last pin or unpin failed, in the user's words (null: it did not). */
  error: string | null;
}

/**
 * The conversation's pinned messages, at its top: the newest pin's first line (the others
 * behind "N more", a disclosure), each a button that jumps to its message; ✕ unpins it for
 * those who may. Nothing at all while no message is pinned.
 */
export function PinnedBar({ pins, canUnpin, onJump, onUnpin, error }: Props) {
  const { t } = useLocale();
  const [expanded, setExpanded] = useState(false);
  if (pins.length === 0 && !error) return null;
  const shown = expanded ? pins : pins.slice(0, 1);
  return (
    <nav className="pinned-bar small" aria-label={t('pins.label')} data-testid="pinned-bar">
      {pins.length > 0 && (
        <ul id="pinned-list">
          {shown.map((pin) => {
            const text = firstLine(pin.text) || t('pins.noText');
            return (
              <li key={pin.messageId} data-testid={`pinned-${pin.messageId}`}>
                <span aria-hidden="true">📌</span>
                <button
                  type="button"
                  className="pinned-jump"
                  data-testid={`pinned-jump-${pin.messageId}`}
                  aria-label={t('pins.jump', { text })}
                  onClick={() => onJump(pin.messageId)}
                >
                  {text}
                </button>
                {canUnpin && (
                  <button
                    type="button"
                    className="icon-button pinned-unpin"
                    data-testid={`pinned-unpin-${pin.messageId}`}
                    aria-label={t('pins.unpinLabel', { text })}
                    title={t('pins.unpin')}
                    onClick={() => onUnpin(pin.messageId)}
                  >
                    ✕
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {pins.length > 1 && (
        <button
          type="button"
          className="link-button pinned-more"
          aria-expanded={expanded}
          aria-controls="pinned-list"
          data-testid="pinned-more"
          onClick={() => setExpanded((open) => !open)}
        >
          {expanded ? t('pins.fewer') : t('pins.more', { count: pins.length - 1 })}
        </button>
      )}
      {error && (
        <p className="error" role="alert" data-testid="pin-error">
          {error}
        </p>
      )}
    </nav>
  );
}
