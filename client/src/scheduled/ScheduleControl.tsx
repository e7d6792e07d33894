import { type KeyboardEvent, useId, useRef, useState } from 'react';

import { useLocale } from '../i18n';
import { localInputValue, sendAtOf } from './scheduled';

interface Props {
  /** Nothing to schedule now (no text, files attached, the chat loading, a suspended account). */
  disabled: boolean;
  /** Schedules the composer's text for `sendAt` (RFC 3339); rejects with the reason in words. */
  onSchedule: (sendAt: string) => Promise<void>;
}

/** In an hour, to the minute: what the picker offers first. */
const inAnHour = () => {
  const at = new Date(Date.now() + 60 * 60 * 1000);
  at.setSeconds(0, 0);
  return at;
};

/**
 * Beside the composer's Send: "Send later". A button opens a date and time field (the
 * browser's own, keyboard operable) and a button that schedules the text written; Enter in
 * the field schedules too (never sends now), Escape closes it.
 */
export function ScheduleControl({ disabled, onSchedule }: Props) {
  const { t } = useLocale();
  const id = useId();
  const toggle = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sendAt = sendAtOf(value);

  const close = () => {
    setOpen(false);
    setError(null);
    toggle.current?.focus();
  };

  const submit = async () => {
    if (disabled || busy || sendAt === null) return;
    setBusy(true);
    setError(null);
    try {
      await onSchedule(sendAt);
      close();
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault(); // the form around would send the message now
      void submit();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  };

  return (
    <div className="schedule-control">
      <button
        ref={toggle}
        type="button"
        className="icon-button"
        data-testid="schedule-toggle"
        aria-expanded={open}
        aria-controls={`${id}-picker`}
        aria-label={t('scheduled.sendLater')}
        title={t('scheduled.sendLater')}
        onClick={() => {
          if (open) return close();
          setValue((now) => now || localInputValue(inAnHour()));
          setOpen(true);
        }}
      >
        <span aria-hidden="true">🕒</span>
      </button>
      {open && (
        <div id={`${id}-picker`} className="schedule-picker" role="group" aria-label={t('scheduled.sendLater')}>
          <label htmlFor={`${id}-at`}>{t('scheduled.when')}</label>
          <input
            id={`${id}-at`}
            type="datetime-local"
            data-testid="schedule-at"
            value={value}
            min={localInputValue(new Date())}
            onChange={(e) => setValue(e.target.value)}
            onKeyDown={onKeyDown}
            autoFocus
          />
          <button
            type="button"
            className="button"
            data-testid="schedule-send"
            disabled={disabled || busy || sendAt === null}
            onClick={() => void submit()}
            onKeyDown={(e) => e.key === 'Escape' && close()}
          >
            {t('scheduled.confirm')}
          </button>
          {error && (
            <p className="error small" role="alert" data-testid="schedule-error">
              {error}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
