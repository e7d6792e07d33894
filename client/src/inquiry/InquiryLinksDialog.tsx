import { useEffect, useState } from 'react';

import { type InquiryLink, createInquiryLink, inquiryLinks, revokeInquiryLink } from '../api';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { MAX_TITLE_CHARS } from '../groups';
import { inquiryContext, linkUrl } from './inquiry';
import { useSession } from '../session/SessionContext';
import { parseUserIds, useUsers } from '../useUsers';
import { useLatest } from '../useLatest';
import { FormDialog } from '../components/FormDialog';
import { LinkRow } from './InquiryLinkRow';

interface Props {
  onClose: () => void;
}

type Links = { status: 'loading' } | { status: 'ready'; links: InquiryLink[] } | { status: 'failed'; error: string };

/**
 * "Inquiry links" (teachers and admins): a new link (a title, a course if it is about one,
 * whether the school's marketplace lists it; an admin names the teacher it is for), and the links so far, each with its full address to copy
 * and a Revoke button. A teacher sees their own links, an admin every link.
 */
export function InquiryLinksDialog({ onClose }: Props) {
  const { t } = useLocale();
  const words = useLatest(t);
  const { isAdmin } = useSession();
  const [links, setLinks] = useState<Links>({ status: 'loading' });
  const [reload, setReload] = useState(0);
  const [title, setTitle] = useState('');
  const [course, setCourse] = useState('');
  const [host, setHost] = useState('');
  const [listed, setListed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<number | null>(null);
  const [copied, setCopied] = useState<number | null>(null);
  // Admins pick the teacher (the user list, or a typed id without it); teachers' links are theirs.
  const users = useUsers(isAdmin);
  const teachers = users.status === 'ready' ? users.users.filter((u) => u.role === 'teacher') : [];
  const nameOf = (id: number) => teachers.find((u) => u.id === id)?.name ?? `#${id}`;

  useEffect(() => {
    let current = true;
    inquiryLinks().then(
      (list) => current && setLinks({ status: 'ready', links: list }),
      (e: unknown) => current && setLinks({ status: 'failed', error: errorText(e, words.current) }),
    );
    return () => {
      current = false;
    };
  }, [reload, words]);

  const tooLong = [...title].length > MAX_TITLE_CHARS;
  const hostIds = isAdmin ? parseUserIds(host) : [];
  const hostId = isAdmin && hostIds?.length === 1 ? hostIds[0]! : null;
  const ready = title.trim() !== '' && !tooLong && (!isAdmin || hostId !== null) && !busy;

  const create = async () => {
    if (!ready) return;
    setBusy(true);
    setError(null);
    try {
      const link = await createInquiryLink(title.trim(), inquiryContext(course), hostId, listed);
      setLinks((now) => (now.status === 'ready' ? { status: 'ready', links: [link, ...now.links] } : now));
      setTitle('');
      setCourse('');
      setListed(false);
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (link: InquiryLink) => {
    setRevoking(link.id);
    setError(null);
    try {
      await revokeInquiryLink(link.id);
      const revokedAt = new Date().toISOString();
      setLinks((now) =>
        now.status === 'ready'
          ? { status: 'ready', links: now.links.map((l) => (l.id === link.id ? { ...l, revoked_at: revokedAt } : l)) }
          : now,
      );
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setRevoking(null);
    }
  };

  const copy = async (link: InquiryLink, input: HTMLInputElement | null) => {
    const url = linkUrl(window.location.origin, link);
    try {
      await navigator.clipboard.writeText(url);
      setCopied(link.id);
    } catch {
      // No clipboard here (permissions, an old browser): selected, ready to copy by hand.
      input?.select();
    }
  };

  // The links so far come first; the form below makes a new one.
  const intro = (
    <>
      <p className="muted small">{t('inquiry.linksHint')}</p>
      {links.status === 'loading' && <p className="muted small">{t('inquiry.loading')}</p>}
      {links.status === 'failed' && (
        <div role="alert">
          <p className="error">{links.error}</p>
          <button type="button" className="button button-quiet" onClick={() => setReload((n) => n + 1)}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {links.status === 'ready' && links.links.length === 0 && <p className="muted small">{t('inquiry.none')}</p>}
      {links.status === 'ready' && links.links.length > 0 && (
        <ul className="member-list inquiry-links">
          {links.links.map((link) => (
            <LinkRow
              key={link.id}
              link={link}
              host={isAdmin ? nameOf(link.host_id) : null}
              copied={copied === link.id}
              revoking={revoking === link.id}
              onCopy={(input) => void copy(link, input)}
              onRevoke={() => void revoke(link)}
            />
          ))}
        </ul>
      )}
    </>
  );

  return (
    <FormDialog
      title={t('inquiry.links')}
      testId="inquiry-links-dialog"
      busy={busy}
      error={error}
      intro={intro}
      submit={{
        label: t('inquiry.create'),
        busyLabel: t('inquiry.creating'),
        testId: 'create-inquiry-link',
        disabled: !ready,
      }}
      onSubmit={() => void create()}
      cancel={{ label: t('inquiry.close'), testId: 'close-inquiry-links' }}
      onClose={onClose}
    >
      <div className="group-form inquiry-form">
        <h3 className="field-label">{t('inquiry.newLink')}</h3>
        <label className="field">
          <span className="field-label">{t('inquiry.titleLabel')}</span>
          <input
            type="text"
            data-testid="inquiry-title"
            value={title}
            placeholder={t('inquiry.titlePlaceholder')}
            aria-invalid={tooLong}
            onChange={(e) => setTitle(e.target.value)}
            autoFocus
          />
          {tooLong && <span className="error small">{t('groups.titleTooLong', { max: MAX_TITLE_CHARS })}</span>}
        </label>
        <label className="field">
          <span className="field-label">{t('inquiry.courseLabel')}</span>
          <input
            type="text"
            data-testid="inquiry-course"
            value={course}
            placeholder={t('inquiry.coursePlaceholder')}
            onChange={(e) => setCourse(e.target.value)}
          />
        </label>
        <label className="pick">
          <input
            type="checkbox"
            data-testid="inquiry-listed"
            checked={listed}
            onChange={(e) => setListed(e.target.checked)}
          />
          <span className="pick-name">{t('inquiry.listed')}</span>
        </label>
        {isAdmin && (
          <label className="field">
            <span className="field-label">{t('inquiry.hostLabel')}</span>
            {users.status === 'ready' ? (
              <select data-testid="inquiry-host" value={host} onChange={(e) => setHost(e.target.value)}>
                <option value="">{t('inquiry.hostPick')}</option>
                {teachers.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            ) : (
              <input
                type="text"
                inputMode="numeric"
                data-testid="inquiry-host-id"
                value={host}
                placeholder={t('inquiry.hostId')}
                onChange={(e) => setHost(e.target.value)}
              />
            )}
          </label>
        )}
      </div>
    </FormDialog>
  );
}
