// Attachments as a message shows them, as pure functions: what kind a message is, what the
// chat list says of one without text ("🖼 Photo", "📎 решение.txt"), sizes in the words of the
// locale ("1.2 MB", "1,2 МБ"), which files are shown inline as images and how large.
//
// There are no thumbnails: an image is its own preview, scaled down by the browser. The
// `width` and `height` the server read from it give its box before it loads, so the
// conversation does not jump as images arrive.

import type { TFunction } from 'i18next';

import type { Attachment, MessageType } from '../api';

/** The server refuses larger files (413); the client refuses them before uploading. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
/** At most this many attachments per message (the server's limit too). */
export const MAX_ATTACHMENTS = 10;

/** An image shown in a message is scaled down to fit this box (CSS pixels); several, each to the smaller one. */
export const IMAGE_BOX = { width: 320, height: 320 } as const;
export const SEVERAL_IMAGES_BOX = { width: 180, height: 180 } as const;

const TYPES: readonly MessageType[] = ['text', 'file', 'image'];

/** Raster formats every browser shows in an `<img>`: these appear inline, anything else as a file. */
const INLINE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

/** Whether an attachment is shown as a picture (else as a file to download). */
export function isInlineImage(attachment: Pick<Attachment, 'content_type'>): boolean {
  return INLINE_IMAGES.has(attachment.content_type.split(';')[0]!.trim().toLowerCase());
}

/**
 * A message's type: the server's when it is one this client knows, else what its attachments
 * make it (a server before attachments sends neither: `text`).
 */
export function messageType(type: string | undefined | null, attachments: readonly Pick<Attachment, 'content_type'>[]): MessageType {
  if (type && (TYPES as readonly string[]).includes(type)) return type as MessageType;
  if (attachments.length === 0) return 'text';
  return attachments.every(isInlineImage) ? 'image' : 'file';
}

const KB = 1024;
const UNITS = ['kb', 'mb', 'gb'] as const;

/**
 * A size as people read it, in binary units: "512 B", "1.2 KB", "25 MB" (one decimal below 10,
 * none above); in Russian "1,2 МБ". The number in `locale` (the Intl locale, see i18n.ts
 * `intlLocale`), the unit in the words of `t`.
 */
export function formatSize(bytes: number, t: TFunction, locale = 'en'): string {
  if (bytes < KB) return t('attachments.size.b', { size: bytes.toLocaleString(locale) });
  let value = bytes / KB;
  let unit = 0;
  while (value >= KB && unit < UNITS.length - 1) {
    value /= KB;
    unit++;
  }
  // 1023.96 KB would round to "1024 KB": the next unit reads better.
  if (Math.round(value) >= KB && unit < UNITS.length - 1) {
    value /= KB;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  const size = value.toLocaleString(locale, { maximumFractionDigits: digits });
  return t(`attachments.size.${UNITS[unit]!}`, { size });
}

/** The short label of a file's kind on its chip: its extension ("PDF", "TXT"), else "FILE". */
export function extensionLabel(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1) : '';
  return /^[\p{L}\p{N}]{1,5}$/u.test(extension) ? extension.toUpperCase() : 'FILE';
}

/**
 * The box an image is shown in: its own size, scaled down (never up) to fit `box`, in whole
 * pixels; null when the server could not tell its size (then CSS limits it as it loads).
 */
export function fitWithin(
  attachment: Pick<Attachment, 'width' | 'height'>,
  box: { width: number; height: number } = IMAGE_BOX,
): { width: number; height: number } | null {
  const { width, height } = attachment;
  if (!width || !height || width <= 0 || height <= 0) return null;
  const scale = Math.min(1, box.width / width, box.height / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** What the chat list (and an announcement) knows of a message: its text, type and files, if known. */
export interface PreviewSource {
  content: string;
  type?: MessageType;
  /** The names of its attachments when known (a live message); a list snapshot has only the type. */
  attachments?: readonly Pick<Attachment, 'name'>[] | null;
}

/**
 * What the chat list says of a message: its text; for a file or image message the text after
 * an icon ("🖼 Look at this"), or without text what it carries: "🖼 Photo", "🖼 3 photos",
 * "📎 решение.txt" (one file named), "📎 3 files", "📎 File".
 */
export function messagePreview(message: PreviewSource, t: TFunction): string {
  const type = message.type ?? 'text';
  const text = message.content.trim() === '' ? '' : message.content;
  if (type === 'text') return text;
  const icon = type === 'image' ? '🖼' : '📎';
  if (text !== '') return `${icon} ${text}`;
  const files = message.attachments ?? null;
  const count = files?.length ?? 0;
  if (type === 'image') return count > 1 ? t('attachments.photos', { count }) : t('attachments.photo');
  if (count === 1) return `${icon} ${files![0]!.name}`;
  return count > 1 ? t('attachments.files', { count }) : t('attachments.file');
}
