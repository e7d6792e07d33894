import { type FormEvent, useCallback, useState } from 'react';

import { ApiError, type FlagTerm } from '../api';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { addFlagTerm, flagTerms, removeFlagTerm } from './moderationApi';

type Loaded = { status: 'idle' | 'loading' } | { status: 'failed'; error: string } | { status: 'ready'; terms: FlagTerm[] };

/**
 * The school's list of terms that flag a message (admins), folded under the flags: loaded when
 * unfolded; a term added (a search query: every form of its words matches) or deleted changes
 * what flags messages written from then on. Why a term was refused is said: on the list
 * already (409), or no word a search would match (422).
 */
export function FlagTermsEditor() {
  const { t } = useLocale();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'idle' });
  const [term, setTerm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoaded((now) => (now.status === 'ready' ? now : { status: 'loading' }));
    try {
      setLoaded({ status: 'ready', terms: await flagTerms() });
    } catch (e) {
      setLoaded({ status: 'failed', error: errorText(e, t) });
    }
  }, [t]);

  const change = async (request: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await request();
      await load();
      return true;
    } catch (e) {
      const status = e instanceof ApiError ? e.status : 0;
      setError(status === 409 ? t('flags.termExists') : status === 422 ? t('flags.termNoWord') : errorText(e, t));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (term.trim() !== '' && (await change(() => addFlagTerm(term.trim())))) setTerm('');
  };

  return (
    <details
      className="flag-terms"
      data-testid="flag-terms"
      onToggle={(event) => {
        if ((event.currentTarget as HTMLDetailsElement).open && loaded.status === 'idle') void load();
      }}
    >
      <summary>{t('flags.termsTitle')}</summary>
      <p className="muted small">{t('flags.termsHint')}</p>
      {loaded.status === 'loading' && <p className="muted small">{t('flags.termsLoading')}</p>}
      {loaded.status === 'failed' && (
        <p className="error small" role="alert">
          {loaded.error}
        </p>
      )}
      {loaded.status === 'ready' && loaded.terms.length === 0 && <p className="muted small">{t('flags.noTerms')}</p>}
      {loaded.status === 'ready' && loaded.terms.length > 0 && (
        <ul className="flag-term-list" aria-label={t('flags.termsTitle')}>
          {loaded.terms.map((item) => (
            <li key={item.id} className="flag-term">
              <span className="flag-term-text">{item.term}</span>
              <button
                type="button"
                className="button button-quiet"
                aria-label={t('flags.removeTerm', { term: item.term })}
                disabled={busy}
                onClick={() => void change(() => removeFlagTerm(item.id))}
              >
                {t('flags.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="flag-term-form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span className="field-label">{t('flags.newTerm')}</span>
          <input
            type="text"
            data-testid="flag-term-input"
            value={term}
            maxLength={200}
            placeholder={t('flags.termPlaceholder')}
            onChange={(e) => setTerm(e.target.value)}
          />
        </label>
        <button type="submit" className="button" disabled={busy || term.trim() === ''}>
          {t('flags.add')}
        </button>
      </form>
      {error && (
        <p className="error small" role="alert" data-testid="flag-term-error">
          {error}
        </p>
      )}
    </details>
  );
}
