import { useEffect, useId, useRef, useState } from 'react';

import { useLocale } from '../i18n';
import { pushControl } from './push';
import { usePush } from './usePush';

interface Props {
  /** A notification was clicked while this tab was open. */
  onOpenChat: (chatId: number) => void;
}

/**
 * "Enable notifications" in the header: asks the browser's permission only when clicked, then
 * subscribes this browser to the school's Web Push; "Disable notifications" undoes it. Nothing
 * is shown where it cannot work (an unsupported browser, or a school without push); where the
 * browser blocks the site's notifications, the button says so and explains how to allow them.
 */
export function NotificationsControl({ onOpenChat }: Props) {
  const { t } = useLocale();
  const { state, enable, disable, dismissError } = usePush(onOpenChat);
  const [helpOpen, setHelpOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const control = pushControl(state.status);
  const panel = state.error !== null ? 'error' : control === 'blocked' && helpOpen ? 'help' : null;
  const close = () => {
    setHelpOpen(false);
    dismissError();
  };

  // A click elsewhere or Escape closes the explanation.
  useEffect(() => {
    if (panel === null) return;
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) close();
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close();
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  });

  if (control === 'hidden') return null;
  const label =
    state.busy === 'enabling'
      ? t('push.enabling')
      : state.busy === 'disabling'
        ? t('push.disabling')
        : t(control === 'enable' ? 'push.enable' : control === 'disable' ? 'push.disable' : 'push.blocked');
  const hint = control === 'enable' ? t('push.enableHint') : control === 'disable' ? t('push.onHint') : undefined;
  const onClick = () => {
    if (control === 'enable') enable();
    else if (control === 'disable') disable();
    else setHelpOpen((open) => !open);
  };

  return (
    <div className="notifications" ref={root} data-testid="notifications" data-state={state.status}>
      <button
        type="button"
        className={`button button-quiet notifications-button${control === 'disable' ? ' active' : ''}`}
        data-testid={`notifications-${control}`}
        aria-label={label}
        title={hint}
        aria-expanded={control === 'blocked' ? panel === 'help' : undefined}
        aria-controls={panel === null ? undefined : panelId}
        disabled={state.busy !== null}
        onClick={onClick}
      >
        <span aria-hidden="true">{control === 'enable' ? '🔔' : '🔕'}</span>
        <span className="notifications-label" aria-hidden="true">
          {label}
        </span>
      </button>
      {panel !== null && (
        <div
          id={panelId}
          className="notifications-panel"
          data-testid={panel === 'help' ? 'notifications-help' : 'notifications-error'}
          role={panel === 'error' ? 'alert' : 'note'}
        >
          <p className={panel === 'error' ? 'error small' : 'small'}>
            {panel === 'error' ? t('push.failed', { error: state.error ?? '' }) : t('push.blockedHelp')}
          </p>
          <button type="button" className="link-button" data-testid="notifications-panel-close" onClick={close}>
            {t('push.close')}
          </button>
        </div>
      )}
    </div>
  );
}
