import { useLocale } from '../i18n';
import { useUsers } from '../useUsers';
import { Avatar } from '../components/Avatar';

interface Props {
  /** The email being signed in as; any attempt under way (`school` too) disables the list. */
  busy: string | null;
  onPick: (email: string) => void;
}

/** The demo's sign-in: one button per demo user (`GET /api/dev/users`). */
export function DevUserPicker({ busy, onPick }: Props) {
  const { t } = useLocale();
  const users = useUsers();

  if (users.status === 'loading') return <p className="muted">{t('signIn.loadingUsers')}</p>;
  if (users.status === 'failed') {
    return (
      <p className="error" role="alert">
        {users.error}
      </p>
    );
  }
  return (
    <ul className="user-list">
      {users.users.map((user) => (
        <li key={user.id}>
          <button
            type="button"
            className="user-button"
            data-testid={`login-${user.email}`}
            disabled={busy !== null}
            aria-busy={busy === user.email}
            onClick={() => onPick(user.email)}
          >
            <Avatar person={user} />
            <span className="user-text">
              <span className="user-name">{user.name}</span>
              <span className="muted small">{user.email}</span>
            </span>
            <span className={`role role-${user.role}`}>{t(`roles.${user.role}`)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
