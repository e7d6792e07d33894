import { describe, expect, it } from 'vitest';

import type { Attachment } from '../api';
import {
  MAX_ATTACHMENT_BYTES,
  extensionLabel,
  fitWithin,
  formatSize,
  isInlineImage,
  messagePreview,
  messageType,
} from './attachments';
import { i18n } from '../i18n';

// The words come from the caller's translator, as components pass theirs.
const en = i18n.getFixedT('en');
const ru = i18n.getFixedT('ru');

const KB = 1024;
const MB = 1024 * KB;

const png = (id: number, name = `photo-${id}.png`): Attachment => ({
  id,
  name,
  content_type: 'image/png',
  size: 2_000,
  sha256: 'ab'.repeat(32),
  width: 800,
  height: 600,
});
const txt = (id: number, name = 'решение.txt'): Attachment => ({
  id,
  name,
  content_type: 'text/plain; charset=utf-8',
  size: 120,
  sha256: 'cd'.repeat(32),
});

describe('formatSize', () => {
  it('says bytes, then KB, MB and GB in binary steps, one decimal below 10', () => {
    expect(formatSize(0, en, 'en')).toBe('0 B');
    expect(formatSize(512, en, 'en')).toBe('512 B');
    expect(formatSize(1023, en, 'en')).toBe('1,023 B');
    expect(formatSize(KB, en, 'en')).toBe('1 KB');
    expect(formatSize(1.2 * KB, en, 'en')).toBe('1.2 KB');
    expect(formatSize(340 * KB + 100, en, 'en')).toBe('340 KB');
    expect(formatSize(1.2 * MB, en, 'en')).toBe('1.2 MB');
    expect(formatSize(12.6 * MB, en, 'en')).toBe('13 MB');
    expect(formatSize(MAX_ATTACHMENT_BYTES, en, 'en')).toBe('25 MB');
    expect(formatSize(3 * 1024 * MB, en, 'en')).toBe('3 GB');
  });

  it('moves to the next unit rather than saying 1024', () => {
    expect(formatSize(KB * KB - 10, en, 'en')).toBe('1 MB');
    expect(formatSize(KB * KB - 600, en, 'en')).toBe('1,023 KB');
  });

  it('speaks Russian with a decimal comma and Russian units', () => {
    expect(formatSize(512, ru, 'ru')).toBe('512 Б');
    expect(formatSize(1023, ru, 'ru-RU')).toBe('1\u00a0023 Б'); // Intl groups Russian thousands with a no-break space
    expect(formatSize(1.2 * KB, ru, 'ru')).toBe('1,2 КБ');
    expect(formatSize(1.2 * MB, ru, 'ru-RU')).toBe('1,2 МБ');
    expect(formatSize(MAX_ATTACHMENT_BYTES, ru, 'ru')).toBe('25 МБ');
    expect(formatSize(1.5 * 1024 * MB, ru, 'ru')).toBe('1,5 ГБ');
  });

  it('follows the locale of the UI language (en-GB keeps its own separators) and falls back to English', () => {
    expect(formatSize(1.5 * MB, en, 'en-GB')).toBe('1.5 MB');
    expect(formatSize(1.5 * MB, en, 'de-DE')).toBe('1,5 MB'); // German numbers, English words
  });
});

describe('extensionLabel', () => {
  it('is the extension in capitals, or FILE', () => {
    expect(extensionLabel('решение.txt')).toBe('TXT');
    expect(extensionLabel('Homework 3.final.PDF')).toBe('PDF');
    expect(extensionLabel('архив.тест')).toBe('ТЕСТ');
    expect(extensionLabel('README')).toBe('FILE');
    expect(extensionLabel('.bashrc')).toBe('FILE');
    expect(extensionLabel('notes.')).toBe('FILE');
    expect(extensionLabel('data.verylongext')).toBe('FILE');
  });
});

describe('isInlineImage and messageType', () => {
  it('shows common raster images inline, whatever the case or parameters; anything else is a file', () => {
    expect(isInlineImage({ content_type: 'image/png' })).toBe(true);
    expect(isInlineImage({ content_type: 'IMAGE/JPEG' })).toBe(true);
    expect(isInlineImage({ content_type: 'image/webp; q=1' })).toBe(true);
    expect(isInlineImage({ content_type: 'image/svg+xml' })).toBe(false);
    expect(isInlineImage({ content_type: 'image/heic' })).toBe(false);
    expect(isInlineImage({ content_type: 'application/pdf' })).toBe(false);
    expect(isInlineImage({ content_type: '' })).toBe(false);
  });

  it("takes the server's type when it knows it, else derives it from the attachments", () => {
    expect(messageType('image', [png(1)])).toBe('image');
    expect(messageType('file', [png(1)])).toBe('file'); // the server decides
    expect(messageType(undefined, [])).toBe('text');
    expect(messageType(undefined, [png(1), png(2)])).toBe('image');
    expect(messageType(undefined, [png(1), txt(2)])).toBe('file');
    expect(messageType('voice', [txt(2)])).toBe('file'); // a type this client does not know
    expect(messageType(null, [])).toBe('text');
  });
});

describe('fitWithin', () => {
  it('scales an image down (never up) to fit the box, keeping its shape', () => {
    expect(fitWithin({ width: 800, height: 600 })).toEqual({ width: 320, height: 240 });
    expect(fitWithin({ width: 600, height: 1200 })).toEqual({ width: 160, height: 320 });
    expect(fitWithin({ width: 100, height: 50 })).toEqual({ width: 100, height: 50 });
    expect(fitWithin({ width: 4000, height: 10 })).toEqual({ width: 320, height: 1 });
    expect(fitWithin({ width: 300, height: 300 }, { width: 180, height: 180 })).toEqual({ width: 180, height: 180 });
  });

  it('is null when the size is unknown', () => {
    expect(fitWithin({})).toBeNull();
    expect(fitWithin({ width: 10 })).toBeNull();
    expect(fitWithin({ width: null, height: null })).toBeNull();
    expect(fitWithin({ width: 0, height: 10 })).toBeNull();
  });
});

describe('messagePreview', () => {
  it('is the text of a text message', () => {
    expect(messagePreview({ content: 'Привет', type: 'text' }, en)).toBe('Привет');
    expect(messagePreview({ content: 'Hi' }, en)).toBe('Hi'); // a server before attachments
  });

  it('says what a message without text carries, in English and Russian', () => {
    expect(messagePreview({ content: '', type: 'image' }, en)).toBe('🖼 Photo');
    expect(messagePreview({ content: '', type: 'image' }, ru)).toBe('🖼 Фото');
    expect(messagePreview({ content: '', type: 'image', attachments: [png(1)] }, ru)).toBe('🖼 Фото');
    expect(messagePreview({ content: '', type: 'image', attachments: [png(1), png(2), png(3)] }, en)).toBe('🖼 3 photos');
    expect(messagePreview({ content: '', type: 'image', attachments: [png(1), png(2), png(3)] }, ru)).toBe('🖼 3 фото');
    expect(messagePreview({ content: '', type: 'file' }, en)).toBe('📎 File');
    expect(messagePreview({ content: '', type: 'file' }, ru)).toBe('📎 Файл');
    expect(messagePreview({ content: ' \n', type: 'file', attachments: null }, ru)).toBe('📎 Файл');
  });

  it('names a single file, counts several (Russian plurals)', () => {
    expect(messagePreview({ content: '', type: 'file', attachments: [txt(1)] }, en)).toBe('📎 решение.txt');
    const files = (n: number) => Array.from({ length: n }, (_, i) => txt(i));
    const russian = [2, 5, 21].map((n) => messagePreview({ content: '', type: 'file', attachments: files(n) }, ru));
    expect(russian).toEqual(['📎 2 файла', '📎 5 файлов', '📎 21 файл']);
    expect(messagePreview({ content: '', type: 'file', attachments: files(2) }, en)).toBe('📎 2 files');
  });

  it('puts the icon before a caption', () => {
    expect(messagePreview({ content: 'Моё решение', type: 'image', attachments: [png(1)] }, ru)).toBe('🖼 Моё решение');
    expect(messagePreview({ content: 'see attached', type: 'file' }, en)).toBe('📎 see attached');
  });
});
