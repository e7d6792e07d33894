import { type FormEvent, useCallback, useEffect, useState } from 'react';

import type { AdminUser, GuardianLink } from '../api';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { guardianLinks, linkGuardian, linkablePeople, unlinkGuardian } from './guardiansApi';
import { candidates, isLinked } from './links';

type Loaded<T> = { status: 'loading' } | { status: 'failed'; error: string } | { status: 'ready'; value: T };

/**
 * An admin's Guardians tab (in Moderation): the links open now, each with "Unlink", and a form
 * linking a guardian to a student (both picked from the people's list). Loaded when shown, and
 * again after each change made here.
 */
export function GuardiansPanel() {
  const { t } = useLocale();
  const [links, setLinks] = useState<Loaded<GuardianLink[]>>({ status: 'loading' });
  const [people, setPeople] = useState<Loaded<AdminUser[]>>({ status: 'loading' });
  const [guardian, setGuardian] = useState('');
  const [student, setStudent] = useState('');
  const [busy, setBusy] = useState<string | null>(null); // 'link', or the link being ended (`guardian:student`)
  const [error, setError] = useState<string | null>(null);

  const loadLinks = useCallback(async () => {
    try {
      setLinks({ status: 'ready', value: await guardianLinks() });
    } catch (e) {
      setLinks({ status: 'failed', error: errorText(e, t) });
    }
  }, [t]);

  useEffect(() => {
    void loadLinks();
    linkablePeople().then(
      (value) => setPeople({ status: 'ready', value }),
      (e: unknown) => setPeople({ status: 'failed', error: errorText(e, t) }),
    );
  }, [loadLinks, t]);

  const change = async (key: string, request: () => Promise<void>) => {
    setBusy(key);
    setError(null);
    try {
      await request();
      await loadLinks();
      return true;
    } catch (e) {
      setError(errorText(e, t));
      return false;
    } finally {
      setBusy(null);
    }
  };

  const { guardians, students } = candidates(people.status === 'ready' ? people.value : []);
  const current = links.status === 'ready' ? links.value : [];
  const pair = guardian !== '' && student !== '' ? ([Number(guardian), Number(student)] as const) : null;
  const canLink = pair !== null && !isLinked(current, ...pair) && busy === null;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!pair || !canLink) return;
    if (await change('link', () => linkGuardian(...pair))) setStudent('');
  };

  return (
    <div className="guardians-panel">
      <p className="muted small">{t('guardians.intro')}</p>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      {links.status === 'loading' && <p className="muted small">{t('guardians.loading')}</p>}
      {links.status === 'failed' && (
        <div role="alert">
          <p className="error">{links.error}</p>
          <button type="button" className="button button-quiet" onClick={() => void loadLinks()}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {links.status === 'ready' && current.length === 0 && <p className="muted small">{t('guardians.noLinks')}</p>}
      {current.length > 0 && (
        <ul className="people-list" aria-label={t('guardians.tab')}>
          {current.map(({ guardian: g, student: s }) => {
            const key = `${g.id}:${s.id}`;
            return (
              <li key={key} className="person-row" data-testid={`guardian-link-${key}`}>
                <div className="person-text">{t('guardians.linked', { guardian: g.name, student: s.name })}</div>
                <div className="report-actions">
                  <button
                    type="button"
                    className="button button-quiet"
                    aria-label={t('guardians.unlinkLabel', { guardian: g.name, student: s.name })}
                    disabled={busy !== null}
                    aria-busy={busy === key}
                    onClick={() => void change(key, () => unlinkGuardian(g.id, s.id))}
                  >
                    {t('guardians.unlink')}
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {people.status === 'failed' && <p className="error small">{people.error}</p>}
      <form className="guardian-form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span className="field-label">{t('guardians.guardian')}</span>
          <select data-testid="guardian-select" value={guardian} onChange={(e) => setGuardian(e.target.value)}>
            <option value="">{t(people.status === 'loading' ? 'guardians.loading' : 'guardians.choose')}</option>
            {guardians.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.email ? ` · ${p.email}` : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">{t('guardians.student')}</span>
          <select data-testid="student-select" value={student} onChange={(e) => setStudent(e.target.value)}>
            <option value="">{t(people.status === 'loading' ? 'guardians.loading' : 'guardians.choose')}</option>
            {students.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.email ? ` · ${p.email}` : ''}
              </option>
            ))}
          </select>
        </label>
        <button
          type="submit"
          className="button"
          data-testid="link-guardian"
          disabled={!canLink}
          aria-busy={busy === 'link'}
        >
          {t(busy === 'link' ? 'guardians.linking' : 'guardians.link')}
        </button>
      </form>
    </div>
  );
}
