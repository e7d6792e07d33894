import { useState } from 'react';

import { type Attachment, attachmentUrl } from '../api';
import { IMAGE_BOX, SEVERAL_IMAGES_BOX, extensionLabel, fitWithin, formatSize, isInlineImage } from './attachments';
import { useLocale } from '../i18n';
import { useModalDialog } from '../components/Modal';

/**
 * A message's files: images as pictures (scaled down in the browser: there are no thumbnails;
 * a click shows the whole image), other files as chips that download them.
 */
export function MessageAttachments({ attachments }: { attachments: readonly Attachment[] }) {
  const { t } = useLocale();
  const [viewing, setViewing] = useState<Attachment | null>(null);
  // An image the browser could not show (gone, or not really an image) becomes a file chip.
  const [broken, setBroken] = useState<ReadonlySet<number>>(new Set());
  const images = attachments.filter((a) => isInlineImage(a) && !broken.has(a.id));
  const others = attachments.filter((a) => !images.includes(a));

  return (
    <div className="attachments" role="group" aria-label={t('attachments.list')}>
      {images.length > 0 && (
        <div className={`attachment-images${images.length > 1 ? ' several' : ''}`}>
          {images.map((a) => {
            const box = fitWithin(a, images.length > 1 ? SEVERAL_IMAGES_BOX : IMAGE_BOX);
            return (
              <button
                key={a.id}
                type="button"
                className="attachment-image"
                data-testid={`open-image-${a.id}`}
                aria-label={t('attachments.open', { name: a.name })}
                title={a.name}
                onClick={() => setViewing(a)}
              >
                <img
                  src={attachmentUrl(a.id)}
                  alt={a.name}
                  loading="lazy"
                  decoding="async"
                  width={box?.width}
                  height={box?.height}
                  data-testid={`attachment-image-${a.id}`}
                  onError={() => setBroken((now) => new Set(now).add(a.id))}
                />
              </button>
            );
          })}
        </div>
      )}
      {others.map((a) => (
        <FileChip key={a.id} attachment={a} />
      ))}
      {viewing && <ImageViewer attachment={viewing} onClose={() => setViewing(null)} />}
    </div>
  );
}

/** A file to download: its kind, name and size. */
function FileChip({ attachment }: { attachment: Attachment }) {
  const { t, locale } = useLocale();
  return (
    <a
      className="file-chip"
      href={attachmentUrl(attachment.id)}
      download={attachment.name}
      data-testid={`attachment-file-${attachment.id}`}
      title={t('attachments.download', { name: attachment.name })}
    >
      <span className="file-ext" aria-hidden="true">
        {extensionLabel(attachment.name)}
      </span>
      <span className="file-text">
        <span className="file-name">{attachment.name}</span>
        <span className="file-size">{formatSize(attachment.size, t, locale)}</span>
      </span>
      <svg className="file-download" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
        <path fill="currentColor" d="M11 4h2v9.2l3.6-3.6 1.4 1.4-6 6-6-6 1.4-1.4 3.6 3.6V4zM5 18h14v2H5v-2z" />
      </svg>
    </a>
  );
}

/** The whole image in a modal (Escape, the close button or a click beside it closes it). */
function ImageViewer({ attachment, onClose }: { attachment: Attachment; onClose: () => void }) {
  const { t, locale } = useLocale();
  const dialog = useModalDialog();

  return (
    <dialog
      ref={dialog}
      className="image-viewer"
      aria-label={t('attachments.viewer', { name: attachment.name })}
      data-testid="image-viewer"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        if (event.target === event.currentTarget) onClose(); // the backdrop
      }}
    >
      <img src={attachmentUrl(attachment.id)} alt={attachment.name} />
      <div className="image-viewer-bar">
        <span className="file-text">
          <span className="file-name">{attachment.name}</span>
          <span className="file-size">{formatSize(attachment.size, t, locale)}</span>
        </span>
        <a className="button button-quiet" href={attachmentUrl(attachment.id)} download={attachment.name}>
          {t('attachments.downloadButton')}
        </a>
        <button type="button" className="button" data-testid="close-image" onClick={onClose} autoFocus>
          {t('attachments.close')}
        </button>
      </div>
    </dialog>
  );
}
