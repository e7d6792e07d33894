import { useCallback, useEffect, useState } from 'react';

import { type SignedInDevice, myDevices, signOutDevice } from '../api';
import { Modal } from '../components/Modal';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { fullDateTime } from '../time';

interface Props {
  /** Signs this device out, as the top bar's "Sign out" does. */
  onSignOutHere: () => void;
  /** Signs every device out, this one too. */
  onSignOutEverywhere: () => void;
  onClose: () => void;
}

/**
 * "Your devices": where the person is signed in (`GET /api/sessions`: browser and system, when
 * and from where each was last used), with "Sign out" for each and "Sign out everywhere". A
 * device signed out here is refused at once on every replica, its stream closed.
 */
export function DevicesDialog({ onSignOutHere, onSignOutEverywhere, onClose }: Props) {
  const { t, locale } = useLocale();
  const [devices, setDevices] = useState<SignedInDevice[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    myDevices()
      .then(setDevices)
      .catch((e: unknown) => setFailed(errorText(e, t)));
  }, [t]);
  useEffect(load, [load]);

  const signOut = async (device: SignedInDevice) => {
    if (device.current) {
      onSignOutHere();
      return;
    }
    setBusy(true);
    setFailed(null);
    try {
      await signOutDevice(device.id);
    } catch (e) {
      setFailed(errorText(e, t));
    } finally {
      setBusy(false);
      load();
    }
  };

  const name = (d: SignedInDevice) => (d.device === 'unknown device' ? t('devices.unknownDevice') : d.device);

  return (
    <Modal labelledBy="devices-title" busy={busy} onClose={onClose} testId="devices-dialog" wide>
      <h2 id="devices-title">{t('devices.title')}</h2>
      <p className="muted small">{t('devices.intro')}</p>
      {failed && <p role="alert">{failed}</p>}
      {!failed && devices === null && <p className="muted">{t('devices.loading')}</p>}
      {devices && devices.length > 0 && (
        <ul className="devices-list" data-testid="devices-list">
          {devices.map((d) => {
            const when = fullDateTime(d.last_used_at, locale);
            return (
              <li key={d.id} data-testid={d.current ? 'device-current' : 'device'} data-session={d.id}>
                <span className="device-text">
                  <strong>{name(d)}</strong>
                  {d.current && <span> · {t('devices.thisDevice')}</span>}
                  <span className="muted small">
                    {' '}
                    {t('devices.lastUsed', { when })}
                    {d.address && <>, {t('devices.from', { address: d.address })}</>}
                  </span>
                </span>
                <button
                  type="button"
                  className="button button-quiet"
                  disabled={busy}
                  aria-label={t('devices.signOutLabel', { device: name(d), when })}
                  onClick={() => void signOut(d)}
                >
                  {t('devices.signOut')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div className="dialog-actions">
        <button type="button" className="button button-danger" disabled={busy} onClick={onSignOutEverywhere}>
          {t('devices.everywhere')}
        </button>
        <button type="button" className="button" onClick={onClose}>
          {t('devices.close')}
        </button>
      </div>
    </Modal>
  );
}
