import { type FormEvent, useState } from 'react';

import type { GroupDetails } from '../groups';
import { MAX_TITLE_CHARS } from '../groups';
import { useLocale } from '../i18n';
import { type PresenceMap, presenceOf } from '../presence';
import { useSession } from '../session/SessionContext';
import { candidates, parseUserIds, useUsers } from '../useUsers';
import { Avatar } from './Avatar';
import { FormDialog } from './FormDialog';
import { PresenceStatus } from './PresenceStatus';

interface Props {
  title: string;
  /** The group as last loaded; null while it loads (or failed). */
  details: GroupDetails | null;
  /** Its owner or an admin: renames, adds and removes. */
  canManage: boolean;
  /** We are a member (admins never are): we may leave. */
  isMember: boolean;
  presence: PresenceMap;
  onRename: (title: string) => Promise<void>;
  onAdd: (userId: number) => Promise<void>;
  /** Removes a member; our own id: leaves. */
  onRemove: (userId: number) => Promise<void>;
  onRetry: () => void;
  onClose: () => void;
}

/** A group's members (with presence), and what its owner, an admin or a member may do. */
export function GroupPanel(props: Props) {
  const { details, canManage, presence } = props;
  const { t } = useLocale();
  const { me } = useSession();
  const users = useUsers();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [title, setTitle] = useState(props.title);
  const [adding, setAdding] = useState('');

  /** Runs one change at a time; its failure is shown. */
  const run = async (what: string, change: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await change();
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return false;
    } finally {
      setBusy(null);
    }
  };

  const members = details?.members ?? [];
  const memberIds = new Set(members.map((m) => m.id));
  const options = users.status === 'ready' ? candidates(users.users, memberIds) : [];
  const addId = users.status === 'failed' ? (parseUserIds(adding)?.[0] ?? null) : adding === '' ? null : Number(adding);
  const titleChanged = title.trim() !== '' && title.trim() !== props.title && [...title].length <= MAX_TITLE_CHARS;

  const rename = (event: FormEvent) => {
    event.preventDefault();
    if (titleChanged) void run('rename', () => props.onRename(title.trim()));
  };

  const add = (event: FormEvent) => {
    event.preventDefault();
    if (addId !== null) void run('add', () => props.onAdd(addId)).then((ok) => ok && setAdding(''));
  };

  const leave = async () => {
    if (await run('leave', () => props.onRemove(me.id))) props.onClose();
  };

  return (
    <FormDialog
      title={t('groups.membersOf', { title: props.title })}
      testId="group-panel"
      busy={busy !== null}
      error={error}
      cancel={{ label: t('groups.close'), testId: 'close-group-panel' }}
      onClose={props.onClose}
      extraAction={
        props.isMember && (
          <button
            type="button"
            className="button button-danger"
            data-testid="leave-group"
            disabled={busy !== null}
            onClick={() => void leave()}
          >
            {busy === 'leave' ? t('groups.leaving') : t('groups.leave')}
          </button>
        )
      }
    >
      {canManage && (
        <form className="inline-form" onSubmit={rename}>
          <label className="visually-hidden" htmlFor="group-rename">
            {t('groups.titleLabel')}
          </label>
          <input
            id="group-rename"
            type="text"
            data-testid="rename-input"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
          />
          <button
            type="submit"
            className="button button-quiet"
            data-testid="rename-save"
            disabled={!titleChanged || busy !== null}
          >
            {busy === 'rename' ? t('groups.saving') : t('groups.rename')}
          </button>
        </form>
      )}

      {details === null ? (
        <div className="dialog-body">
          <p className="muted">{t('groups.loadingMembers')}</p>
          <button type="button" className="link-button" onClick={props.onRetry}>
            {t('app.tryAgain')}
          </button>
        </div>
      ) : (
        <ul className="member-list" data-testid="members">
          {members.map((member) => {
            const known = presenceOf(presence, member.id);
            return (
              <li key={member.id} className="member" data-testid={`member-${member.id}`}>
                <Avatar person={member} size="sm" presence={known} />
                <span className="member-text">
                  <span className="member-name">
                    {member.name}
                    {member.id === me.id && <span className="muted"> ({t('groups.you')})</span>}
                  </span>
                  <span className="muted small">
                    {t(`roles.${member.role}`)}
                    {member.id === details.createdBy && ` · ${t('groups.owner')}`}
                    {known && ' · '}
                    {known && <PresenceStatus presence={known} />}
                  </span>
                </span>
                {canManage && member.id !== me.id && (
                  <button
                    type="button"
                    className="button button-quiet"
                    data-testid={`remove-member-${member.id}`}
                    aria-label={t('groups.removeMember', { name: member.name })}
                    disabled={busy !== null}
                    onClick={() => void run(`remove-${member.id}`, () => props.onRemove(member.id))}
                  >
                    {t('groups.remove')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {canManage && (
        <form className="inline-form" onSubmit={add}>
          <label className="visually-hidden" htmlFor="group-add">
            {t('groups.addMember')}
          </label>
          {users.status === 'failed' ? (
            <input
              id="group-add"
              type="text"
              inputMode="numeric"
              placeholder={t('groups.userId')}
              data-testid="add-member-id"
              value={adding}
              onChange={(e) => setAdding(e.target.value)}
            />
          ) : (
            <select
              id="group-add"
              data-testid="add-member-select"
              value={adding}
              onChange={(e) => setAdding(e.target.value)}
            >
              <option value="">{users.status === 'loading' ? t('groups.loadingUsers') : t('groups.addMember')}</option>
              {options.map((user) => (
                <option key={user.id} value={user.id}>
                  {user.name} · {t(`roles.${user.role}`)}
                </option>
              ))}
            </select>
          )}
          <button
            type="submit"
            className="button button-quiet"
            data-testid="add-member"
            disabled={addId === null || busy !== null}
          >
            {busy === 'add' ? t('groups.adding') : t('groups.add')}
          </button>
        </form>
      )}
    </FormDialog>
  );
}
