import { useEffect, useState } from 'react';

import type { AdminUser } from '../api';
import { FormDialog } from '../components/FormDialog';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { adminUsers, handOverChat } from './moderationApi';

/** The server is asked once the search text has not changed for this long. */
const SEARCH_DEBOUNCE_MS = 300;

/**
 * What an admin sees in a departed teacher's direct chat instead of the read-only line: that
 * the student cannot write until another teacher takes it over, and the button that hands it
 * over. The log's `chat_handed_over` then reaches everyone's list (the chat is no longer
 * departed), so nothing else changes here.
 */
export function HandOverNotice({ chatId }: { chatId: number }) {
  const { t } = useLocale();
  const [open, setOpen] = useState(false);
  return (
    <div className="read-only" role="status" data-testid="hand-over-notice">
      <p>
        <span aria-hidden="true">👋</span> {t('moderation.handOver.notice')}
      </p>
      <button type="button" className="button" data-testid="hand-over" onClick={() => setOpen(true)}>
        {t('moderation.handOver.button')}
      </button>
      {open && <HandOverDialog chatId={chatId} onClose={() => setOpen(false)} />}
    </div>
  );
}

/** Teachers who may take a chat over: not deactivated, suspended or being erased. */
export function successors(users: AdminUser[], now: number): AdminUser[] {
  return users.filter(
    (u) =>
      u.role === 'teacher' &&
      !u.deactivated_at &&
      !u.erasure &&
      !(u.suspended && (u.suspended.until === null || Date.parse(u.suspended.until) > now)),
  );
}

/** Finds a teacher by name or email and hands the chat to them; a refusal stays in the dialog. */
function HandOverDialog({ chatId, onClose }: { chatId: number; onClose: () => void }) {
  const { t } = useLocale();
  const [query, setQuery] = useState('');
  const [teachers, setTeachers] = useState<AdminUser[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    const timer = setTimeout(
      () => {
        adminUsers(query)
          .then((users) => current && setTeachers(successors(users, Date.now())))
          .catch((e: unknown) => current && setError(errorText(e, t)));
      },
      query.trim() === '' ? 0 : SEARCH_DEBOUNCE_MS,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, t]);

  const handOver = async (teacher: AdminUser) => {
    setBusy(true);
    setError(null);
    try {
      await handOverChat(chatId, teacher.id);
      onClose();
    } catch (e) {
      setError(errorText(e, t));
      setBusy(false);
    }
  };

  return (
    <FormDialog
      title={t('moderation.handOver.title')}
      testId="hand-over-dialog"
      busy={busy}
      error={error}
      intro={<p className="muted small">{t('moderation.handOver.hint')}</p>}
      cancel={{ label: t('moderation.cancel'), testId: 'hand-over-cancel' }}
      onClose={onClose}
    >
      <label className="field">
        <span className="field-label">{t('moderation.handOver.search')}</span>
        <input
          type="search"
          data-testid="hand-over-search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      {teachers.length === 0 ? (
        <p className="muted small">{t('moderation.handOver.none')}</p>
      ) : (
        <ul className="people-list">
          {teachers.map((teacher) => (
            <li key={teacher.id} className="person-row">
              <span className="person-name">{teacher.name}</span>
              <button
                type="button"
                className="button button-quiet"
                data-testid={`hand-over-to-${teacher.id}`}
                disabled={busy}
                aria-label={t('moderation.handOver.choose', { name: teacher.name })}
                onClick={() => void handOver(teacher)}
              >
                {t('moderation.handOver.to')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </FormDialog>
  );
}
