import { useState } from 'react';

import { type GroupMode, type Person, RECIPIENTS, type Recipients } from '../api';
import { MAX_TITLE_CHARS } from '../groups';
import { useLocale } from '../i18n';
import { useSession } from '../session/SessionContext';
import { candidates, parseUserIds, useUsers } from '../useUsers';
import { Avatar } from './Avatar';
import { FormDialog } from './FormDialog';

interface Props {
  /** Creates the group; resolves with its id, rejects with the server's reason. */
  onCreate: (title: string, memberIds: number[], mode?: GroupMode) => Promise<number>;
  onCreated: (chatId: number) => void;
  onClose: () => void;
}

/**
 * "New group" (teachers and admins): a title and the members, picked from the user list. A
 * teacher may make it an announcement (only they write), or announce to all their students in
 * one click (its members follow their lessons).
 */
export function NewGroupDialog({ onCreate, onCreated, onClose }: Props) {
  const { t } = useLocale();
  const { me } = useSession();
  const users = useUsers();
  const [title, setTitle] = useState('');
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const [typedIds, setTypedIds] = useState('');
  const [announcement, setAnnouncement] = useState(false);
  // Whom a teacher's announcement reaches: its students, their families, or both.
  const [recipients, setRecipients] = useState<Recipients>('students');
  const [busy, setBusy] = useState(false);
  const teacher = me.role === 'teacher';
  const [error, setError] = useState<string | null>(null);

  const tooLong = [...title].length > MAX_TITLE_CHARS;
  // Without the user list, members are given by id.
  const memberIds = users.status === 'failed' ? parseUserIds(typedIds) : [...picked];
  const ready = title.trim() !== '' && !tooLong && memberIds !== null && !busy;

  const toggle = (id: number) =>
    setPicked((now) => {
      const next = new Set(now);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  const create = async (name: string, ids: number[], mode: GroupMode) => {
    setBusy(true);
    setError(null);
    try {
      const chatId = await onCreate(name, ids, mode);
      onCreated(chatId);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  const submit = () => {
    if (ready && memberIds !== null) {
      void create(title.trim(), memberIds, announcement ? { announcement, recipients } : {});
    }
  };
  // One click: the title typed, else "Announcements · <the teacher's name>", so that students
  // know whose it is; the members are the server's to find. A teacher has one: clicking again
  // opens it (the server answers the open one).
  const allMyStudents = () => {
    if (busy || tooLong) return;
    const name = title.trim() || t(`groups.allMyStudentsTitle.${recipients}`, { name: me.name });
    void create(name, [], { audience: 'my_students', recipients });
  };

  return (
    <FormDialog
      title={t('groups.newGroup')}
      testId="new-group-dialog"
      busy={busy}
      error={error}
      submit={{ label: t('groups.create'), busyLabel: t('groups.creating'), testId: 'create-group', disabled: !ready }}
      onSubmit={submit}
      cancel={{ label: t('groups.cancel') }}
      onClose={onClose}
      intro={
        teacher && (
          <p className="field">
            <button
              type="button"
              className="button"
              data-testid="create-all-my-students"
              disabled={busy || tooLong}
              onClick={allMyStudents}
            >
              📣 {t('groups.allMyStudents')}
            </button>
            <span className="muted small"> {t('groups.allMyStudentsHint')}</span>
            <label className="field">
              <span className="field-label">{t('groups.recipients.label')}</span>
              <select
                data-testid="group-recipients"
                value={recipients}
                disabled={busy}
                onChange={(e) => setRecipients(e.target.value as Recipients)}
              >
                {RECIPIENTS.map((r) => (
                  <option key={r} value={r}>
                    {t(`groups.recipients.${r}`)}
                  </option>
                ))}
              </select>
            </label>
          </p>
        )
      }
    >
      <label className="field">
        <span className="field-label">{t('groups.titleLabel')}</span>
        <input
          type="text"
          data-testid="group-title"
          value={title}
          placeholder={t('groups.titlePlaceholder')}
          aria-invalid={tooLong}
          onChange={(e) => setTitle(e.target.value)}
          autoFocus
        />
        {tooLong && <span className="error small">{t('groups.titleTooLong', { max: MAX_TITLE_CHARS })}</span>}
      </label>
      {teacher && (
        <label className="pick">
          <input
            type="checkbox"
            data-testid="group-announcement"
            checked={announcement}
            onChange={(e) => setAnnouncement(e.target.checked)}
          />
          <span className="pick-name">{t('groups.announcement')}</span>
        </label>
      )}
      <fieldset className="field">
        <legend className="field-label">
          {t('groups.pickMembers')}
          {picked.size > 0 && <span className="muted small"> · {t('groups.selected', { count: picked.size })}</span>}
        </legend>
        {users.status === 'loading' && <p className="muted small">{t('groups.loadingUsers')}</p>}
        {users.status === 'failed' && (
          <label className="field">
            <span className="muted small">{t('groups.userId')}</span>
            <input
              type="text"
              inputMode="numeric"
              data-testid="group-member-ids"
              value={typedIds}
              aria-invalid={parseUserIds(typedIds) === null}
              onChange={(e) => setTypedIds(e.target.value)}
            />
          </label>
        )}
        {users.status === 'ready' && (
          <PickList users={candidates(users.users, new Set([me.id]))} picked={picked} onToggle={toggle} />
        )}
      </fieldset>
    </FormDialog>
  );
}

function PickList(props: {
  users: ReadonlyArray<Person & { email: string }>;
  picked: ReadonlySet<number>;
  onToggle: (id: number) => void;
}) {
  const { t } = useLocale();
  if (props.users.length === 0) return <p className="muted small">{t('groups.noUsers')}</p>;
  return (
    <ul className="pick-list">
      {props.users.map((user) => (
        <li key={user.id}>
          <label className="pick">
            <input
              type="checkbox"
              data-testid={`pick-${user.email}`}
              checked={props.picked.has(user.id)}
              onChange={() => props.onToggle(user.id)}
            />
            <Avatar person={user} size="sm" />
            <span className="pick-name">{user.name}</span>
            <span className={`role role-${user.role}`}>{t(`roles.${user.role}`)}</span>
          </label>
        </li>
      ))}
    </ul>
  );
}
