import { useEffect, useState } from 'react';

import type { AdminUser } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { fullDateTime } from '../time';
import { accountActions, accountState } from './moderation';
import { suspendedLabel } from './suspension';
import type { Moderation } from './useModeration';
import { ReasonDialog } from './ReasonDialog';
import { SuspendDialog } from './SuspendDialog';

/** The server is asked once the search text has not changed for this long. */
const SEARCH_DEBOUNCE_MS = 300;

/**
 * The People tab: everyone, or those whose name or email contains the search text; each with
 * their role, email and account's state, and what may be done: suspend or unsuspend, mark
 * someone who left the school (deactivate) or bring them back, erase their personal data. Admins
 * can be none of these here (the school's directory deactivates them).
 */
export function PeoplePanel({ moderation }: { moderation: Moderation }) {
  const { t } = useLocale();
  const [query, setQuery] = useState('');
  const [suspending, setSuspending] = useState<AdminUser | null>(null);
  const [erasing, setErasing] = useState<AdminUser | null>(null);
  // "Left the school" ends their sessions and makes a teacher's chats read-only: asked first.
  const [deactivating, setDeactivating] = useState<{ user: AdminUser; busy: boolean; error: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { users } = moderation.state;
  const { searchUsers } = moderation;

  useEffect(() => {
    const timer = setTimeout(() => searchUsers(query.trim()), query.trim() === '' ? 0 : SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query, searchUsers]);

  /** An action without a dialog: its failure is said above the list. */
  const run = (action: Promise<void>) => {
    setError(null);
    action.catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };

  return (
    <div className="people-panel">
      <label className="field">
        <span className="field-label">{t('moderation.searchLabel')}</span>
        <input
          type="search"
          data-testid="people-search"
          value={query}
          placeholder={t('moderation.searchPlaceholder')}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
      {users.status === 'loading' && <p className="muted small">{t('moderation.loadingPeople')}</p>}
      {users.status === 'failed' && (
        <div role="alert">
          <p className="error">{users.error}</p>
          <button type="button" className="button button-quiet" onClick={() => searchUsers(query.trim())}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {users.status === 'ready' && users.users.length === 0 && <p className="muted small">{t('moderation.noPeople')}</p>}
      {users.users.length > 0 && (
        <ul className="people-list" aria-label={t('moderation.peopleTab')}>
          {users.users.map((user) => (
            <PersonRow
              key={user.id}
              user={user}
              onSuspend={() => setSuspending(user)}
              onUnsuspend={() => run(moderation.unsuspend(user.id))}
              onDeactivate={() => setDeactivating({ user, busy: false, error: null })}
              onReactivate={() => run(moderation.reactivate(user.id))}
              onErase={() => setErasing(user)}
            />
          ))}
        </ul>
      )}
      {suspending && (
        <SuspendDialog
          name={suspending.name}
          onSuspend={async (reason, until) => {
            await moderation.suspend(suspending.id, reason, until);
            setSuspending(null);
          }}
          onClose={() => setSuspending(null)}
        />
      )}
      {deactivating && (
        <ConfirmDialog
          title={t('moderation.deactivateTitle', { name: deactivating.user.name })}
          confirmLabel={t('moderation.deactivateConfirm')}
          busy={deactivating.busy}
          error={deactivating.error}
          onConfirm={() => {
            const { user } = deactivating;
            setDeactivating({ user, busy: true, error: null });
            moderation.deactivate(user.id).then(
              () => setDeactivating(null),
              (e: unknown) => setDeactivating({ user, busy: false, error: errorText(e, t) }),
            );
          }}
          onCancel={() => setDeactivating(null)}
        >
          <p>{t(deactivating.user.role === 'teacher' ? 'moderation.deactivateTeacherBody' : 'moderation.deactivateBody')}</p>
        </ConfirmDialog>
      )}
      {erasing && (
        <ReasonDialog
          title={t('moderation.eraseTitle', { name: erasing.name })}
          hint={<strong>{t('moderation.eraseBody')}</strong>}
          placeholder={t('moderation.erasePlaceholder')}
          submit={{ label: t('moderation.eraseConfirm'), busyLabel: t('moderation.erasing'), testId: 'confirm-erase', danger: true }}
          testId="erase-dialog"
          fieldTestId="erase-reason"
          onSubmit={async (reason) => {
            await moderation.erase(erasing.id, reason);
            setErasing(null);
          }}
          onClose={() => setErasing(null)}
        />
      )}
    </div>
  );
}

interface RowProps {
  user: AdminUser;
  onSuspend: () => void;
  onUnsuspend: () => void;
  onDeactivate: () => void;
  onReactivate: () => void;
  onErase: () => void;
}

function PersonRow({ user, onSuspend, onUnsuspend, onDeactivate, onReactivate, onErase }: RowProps) {
  const { t, locale } = useLocale();
  const now = Date.now();
  const state = accountState(user, now);
  const can = accountActions(user, now);
  return (
    <li className="person-row" data-testid={`person-row-${user.id}`} data-state={state.kind} aria-label={user.name}>
      <div className="person-text">
        <span className="person-name">{user.name}</span>{' '}
        <span className={`role role-${user.role} role-small`}>{t(`roles.${user.role}`)}</span>
        {user.email && <span className="muted small"> · {user.email}</span>}
        {state.kind !== 'active' && (
          <p className="small person-state" data-testid={`person-state-${user.id}`}>
            {state.kind === 'suspended'
              ? suspendedLabel(state.suspension, t, locale)
              : state.kind === 'deactivated'
                ? t('moderation.deactivated', { date: fullDateTime(state.since, locale) })
                : t(state.kind === 'erased' ? 'moderation.erased' : 'moderation.erasureInProgress')}
          </p>
        )}
      </div>
      <div className="report-actions">
        {can.suspend && (
          <button type="button" className="button button-quiet" data-testid={`suspend-${user.id}`} onClick={onSuspend}>
            {t('moderation.suspend')}
          </button>
        )}
        {can.unsuspend && (
          <button type="button" className="button button-quiet" data-testid={`unsuspend-${user.id}`} onClick={onUnsuspend}>
            {t('moderation.unsuspend')}
          </button>
        )}
        {can.deactivate && (
          <button
            type="button"
            className="button button-quiet"
            data-testid={`deactivate-${user.id}`}
            aria-label={t('moderation.deactivateLabel', { name: user.name })}
            onClick={onDeactivate}
          >
            {t('moderation.deactivate')}
          </button>
        )}
        {can.reactivate && (
          <button type="button" className="button button-quiet" data-testid={`reactivate-${user.id}`} onClick={onReactivate}>
            {t('moderation.reactivate')}
          </button>
        )}
        {can.erase && (
          <button type="button" className="button button-danger" data-testid={`erase-${user.id}`} onClick={onErase}>
            {t('moderation.erase')}
          </button>
        )}
      </div>
    </li>
  );
}
