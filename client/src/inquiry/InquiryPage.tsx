import { type FormEvent, useEffect, useState } from 'react';

import { type InquiryInfo, type Person, hasCode, inquiryInfo, openInquiry } from '../api';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { contextTitle } from '../inbox';
import { MAX_GUEST_NAME_CHARS, MAX_QUESTION_CHARS, visitorForm } from './inquiry';
import { useLatest } from '../useLatest';
import { Avatar } from '../components/Avatar';
import { LanguageSwitch } from '../components/LanguageSwitch';

interface Props {
  token: string;
  /** Someone signed in in this browser: they cannot become a guest here (their session would win). */
  signedInAs: Person | null;
  /** The visitor is a guest now (the server set their cookie). */
  onJoined: (guest: Person) => void;
  /** A signed-in user leaves the link for their chats. */
  onToChats: () => void;
}

type Info = { status: 'loading' } | { status: 'ready'; info: InquiryInfo } | { status: 'missing' } | { status: 'failed'; error: string };

/**
 * The page of an inquiry link (`/inquiry/{token}`), for a visitor with no account: what it is
 * about, who answers, and a name and a question to give; then the chat opens, the question its
 * first message. Asks only the two endpoints that need no account.
 */
export function InquiryPage({ token, signedInAs, onJoined, onToChats }: Props) {
  const { t, locale } = useLocale();
  const words = useLatest(t);
  const [info, setInfo] = useState<Info>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [name, setName] = useState('');
  const [question, setQuestion] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const form = visitorForm(name, question);

  useEffect(() => {
    let current = true;
    inquiryInfo(token).then(
      (data) => current && setInfo({ status: 'ready', info: data }),
      (e: unknown) => {
        if (!current) return;
        setInfo(hasCode(e, 'not_found') ? { status: 'missing' } : { status: 'failed', error: errorText(e, words.current) });
      },
    );
    return () => {
      current = false;
    };
  }, [token, attempt, words]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (form.send === null || busy) return;
    setBusy(true);
    setError(null);
    try {
      const { user } = await openInquiry(token, form.send);
      onJoined(user);
    } catch (e) {
      if (hasCode(e, 'not_found')) setInfo({ status: 'missing' }); // revoked meanwhile
      else setError(errorText(e, t));
      setBusy(false);
    }
  };

  const course = info.status === 'ready' ? contextTitle(info.info.context ?? null) : null;

  return (
    <main className="sign-in" data-testid="inquiry-page">
      <div className="sign-in-card">
        <div className="sign-in-top">
          <div className="brand brand-large">
            <span className="brand-mark" aria-hidden="true" />
            Tutorchat
          </div>
          <LanguageSwitch />
        </div>
        {info.status === 'loading' && (
          <p className="muted" aria-busy="true">
            {t('app.loading')}
          </p>
        )}
        {info.status === 'missing' && (
          <p className="notice" role="alert" data-testid="inquiry-missing">
            {t('inquiry.notFound')}
          </p>
        )}
        {info.status === 'failed' && (
          <div role="alert">
            <p className="error">{info.error}</p>
            <button type="button" className="button" onClick={() => setAttempt((n) => n + 1)}>
              {t('app.tryAgain')}
            </button>
          </div>
        )}
        {info.status === 'ready' && (
          <>
            <h1 data-testid="inquiry-title">{info.info.title}</h1>
            {course && <p className="muted">{t('inquiry.course', { title: course })}</p>}
            <div className="inquiry-host" data-testid="inquiry-host">
              <Avatar person={info.info.host} />
              <span className="user-text">{t('inquiry.host', { name: info.info.host.name })}</span>
              <span className={`role role-${info.info.host.role}`}>{t(`roles.${info.info.host.role}`)}</span>
            </div>
            {signedInAs ? (
              <>
                <p className="notice" role="status" data-testid="inquiry-signed-in">
                  {t('inquiry.signedInAs', { name: signedInAs.name })}
                </p>
                <button type="button" className="button" onClick={onToChats}>
                  {t('inquiry.toChats')}
                </button>
              </>
            ) : (
              <form className="group-form" onSubmit={(e) => void submit(e)}>
                <p className="muted">{t('inquiry.intro')}</p>
                <label className="field">
                  <span className="field-label">{t('inquiry.nameLabel')}</span>
                  <input
                    type="text"
                    data-testid="guest-name"
                    value={name}
                    autoComplete="name"
                    placeholder={t('inquiry.namePlaceholder')}
                    aria-invalid={form.name === 'tooLong'}
                    onChange={(e) => setName(e.target.value)}
                    autoFocus
                  />
                  {form.name === 'tooLong' && (
                    <span className="error small">{t('inquiry.nameTooLong', { max: MAX_GUEST_NAME_CHARS })}</span>
                  )}
                </label>
                <label className="field">
                  <span className="field-label">{t('inquiry.questionLabel')}</span>
                  <textarea
                    data-testid="guest-question"
                    value={question}
                    rows={4}
                    placeholder={t('inquiry.questionPlaceholder')}
                    aria-invalid={form.question === 'tooLong'}
                    onChange={(e) => setQuestion(e.target.value)}
                  />
                  {form.question === 'tooLong' && (
                    <span className="error small" data-testid="guest-question-too-long">
                      {t('inquiry.questionTooLong', { max: MAX_QUESTION_CHARS.toLocaleString(locale) })}
                    </span>
                  )}
                </label>
                {error && (
                  <p className="error" role="alert" data-testid="inquiry-error">
                    {error}
                  </p>
                )}
                <button type="submit" className="button" data-testid="start-inquiry" disabled={form.send === null || busy}>
                  {busy ? t('inquiry.starting') : t('inquiry.start')}
                </button>
              </form>
            )}
          </>
        )}
      </div>
    </main>
  );
}
