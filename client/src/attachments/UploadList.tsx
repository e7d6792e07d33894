import { useState } from 'react';

import { MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES, extensionLabel, formatSize } from './attachments';
import { useLocale } from '../i18n';
import { type Refusal, type Upload, uploadProgress } from './uploads';

interface Props {
  uploads: readonly Upload[];
  refused: readonly Refusal[];
  onRemove: (key: string) => void;
  onRetry: (key: string) => void;
  onDismissRefused: () => void;
}

/** The composer's files: each with its progress, then its size, or why it failed (and Retry); what was refused. */
export function UploadList({ uploads, refused, onRemove, onRetry, onDismissRefused }: Props) {
  const { t, locale } = useLocale();
  const tooLarge = refused.filter((r) => r.reason === 'too-large');
  const tooMany = refused.filter((r) => r.reason === 'too-many').length;

  return (
    <>
      {uploads.length > 0 && (
        <ul className="upload-list" aria-label={t('attachments.toSend')} data-testid="uploads">
          {uploads.map((u) => (
            <li
              key={u.key}
              className={`upload-chip ${u.status}`}
              data-testid="upload"
              data-status={u.status}
              data-name={u.name}
              data-attachment-id={u.attachment?.id}
            >
              <Thumb upload={u} />
              <span className="file-text">
                <span className="file-name" title={u.name}>
                  {u.name}
                </span>
                {u.status === 'failed' ? (
                  <span className="upload-error" role="alert">
                    {t('attachments.failed', { error: u.error ?? '' })}{' '}
                    <button type="button" className="link-button" data-testid="retry-upload" onClick={() => onRetry(u.key)}>
                      {t('attachments.retry')}
                    </button>
                  </span>
                ) : (
                  <span className="file-size">
                    {u.status === 'uploading' && `${formatSize(u.sent, t, locale)} / `}
                    {formatSize(u.size, t, locale)}
                  </span>
                )}
                {u.status === 'uploading' && (
                  <progress
                    className="upload-progress"
                    max={1}
                    value={uploadProgress(u)}
                    aria-label={t('attachments.uploadingName', { name: u.name })}
                  />
                )}
              </span>
              <button
                type="button"
                className="icon-button upload-remove"
                data-testid="remove-upload"
                aria-label={t('attachments.remove', { name: u.name })}
                title={t('attachments.remove', { name: u.name })}
                onClick={() => onRemove(u.key)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {refused.length > 0 && (
        <div className="upload-refused" role="alert" data-testid="upload-refused">
          <span>
            {tooLarge.map((r) => (
              <span key={r.name} className="refusal">
                {t('attachments.tooLarge', { name: r.name, max: formatSize(MAX_ATTACHMENT_BYTES, t, locale) })}{' '}
              </span>
            ))}
            {tooMany > 0 && (
              <span className="refusal">{t('attachments.tooMany', { count: tooMany, max: MAX_ATTACHMENTS })}</span>
            )}
          </span>
          <button
            type="button"
            className="icon-button"
            data-testid="dismiss-refused"
            aria-label={t('attachments.dismiss')}
            title={t('attachments.dismiss')}
            onClick={onDismissRefused}
          >
            ×
          </button>
        </div>
      )}
    </>
  );
}

/** A picked image's preview, else (or if it cannot be shown) the file's extension. */
function Thumb({ upload }: { upload: Upload }) {
  const [broken, setBroken] = useState(false);
  if (upload.previewUrl && !broken) {
    return <img className="upload-thumb" src={upload.previewUrl} alt="" onError={() => setBroken(true)} />;
  }
  return (
    <span className="file-ext" aria-hidden="true">
      {extensionLabel(upload.name)}
    </span>
  );
}
