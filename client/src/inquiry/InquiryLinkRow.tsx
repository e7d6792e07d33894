import { useState } from 'react';

import type { InquiryLink } from '../api';
import { useLocale } from '../i18n';
import { contextTitle } from '../inbox';
import { linkUrl } from './inquiry';

/** One inquiry link in the links dialog: its title and course, its full address to copy, Revoke. */
export function LinkRow(props: {
  link: InquiryLink;
  /** Admins: the teacher it is for. */
  host: string | null;
  copied: boolean;
  revoking: boolean;
  onCopy: (input: HTMLInputElement | null) => void;
  onRevoke: () => void;
}) {
  const { t } = useLocale();
  const { link } = props;
  const [input, setInput] = useState<HTMLInputElement | null>(null);
  const url = linkUrl(window.location.origin, link);
  const revoked = (link.revoked_at ?? null) !== null;
  const course = contextTitle(link.context ?? null);
  return (
    <li className="inquiry-link" data-testid={`inquiry-link-${link.id}`} data-revoked={revoked ? 'true' : 'false'}>
      <div className="inquiry-link-top">
        <span className="pick-name">{link.title}</span>
        {revoked && <span className="role">{t('inquiry.revoked')}</span>}
        {!revoked && link.listed && <span className="role">{t('inquiry.onMarketplace')}</span>}
      </div>
      {(course || props.host) && (
        <span className="muted small">
          {course && t('inquiry.course', { title: course })}
          {course && props.host && ' · '}
          {props.host && t('inquiry.forTeacher', { name: props.host })}
        </span>
      )}
      {!revoked && (
        <div className="inline-form">
          <input
            ref={setInput}
            type="text"
            readOnly
            value={url}
            aria-label={t('inquiry.url', { title: link.title })}
            data-testid={`inquiry-url-${link.id}`}
            onFocus={(e) => e.target.select()}
          />
          <button
            type="button"
            className="button button-quiet"
            data-testid={`copy-inquiry-${link.id}`}
            onClick={() => props.onCopy(input)}
          >
            {props.copied ? t('inquiry.copied') : t('inquiry.copy')}
          </button>
          <button
            type="button"
            className="button button-danger"
            data-testid={`revoke-inquiry-${link.id}`}
            disabled={props.revoking}
            onClick={props.onRevoke}
          >
            {props.revoking ? t('inquiry.revoking') : t('inquiry.revoke')}
          </button>
        </div>
      )}
    </li>
  );
}
