import { describe, expect, it } from 'vitest';

import type { Attachment } from '../api';
import { MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES } from './attachments';
import { MAX_MESSAGE_CHARS } from '../conversation/compose';
import {
  type NewUpload,
  type Upload,
  type UploadAction,
  checkPicked,
  composerBlocker,
  contentToSend,
  readyAttachments,
  uploadProgress,
  uploadsReducer,
} from './uploads';

const picked = (key: string, size = 1_000): NewUpload => ({
  key,
  name: `${key}.png`,
  size,
  contentType: 'image/png',
  previewUrl: `blob:${key}`,
});

const attachment = (id: number): Attachment => ({
  id,
  name: `file-${id}.png`,
  content_type: 'image/png',
  size: 1_000,
  sha256: '00'.repeat(32),
});

const run = (actions: UploadAction[], start: Upload[] = []) => actions.reduce(uploadsReducer, start);
const added = (...keys: string[]): UploadAction => ({ type: 'added', uploads: keys.map((k) => picked(k)) });
const status = (state: Upload[]) => state.map((u) => `${u.key}:${u.status}`);

describe('upload states', () => {
  it('starts uploading at once, in the order picked', () => {
    const state = run([added('a', 'b')]);
    expect(state).toEqual([
      { ...picked('a'), status: 'uploading', sent: 0, attachment: null, error: null },
      { ...picked('b'), status: 'uploading', sent: 0, attachment: null, error: null },
    ]);
  });

  it('counts progress forward only, up to the size', () => {
    const state = run([added('a'), { type: 'progress', key: 'a', sent: 400 }]);
    expect(state[0]!.sent).toBe(400);
    expect(uploadProgress(state[0]!)).toBe(0.4);
    const back = uploadsReducer(state, { type: 'progress', key: 'a', sent: 300 });
    expect(back).toBe(state);
    expect(run([{ type: 'progress', key: 'a', sent: 5_000 }], state)[0]!.sent).toBe(1_000);
  });

  it('is done with its attachment, or failed with the reason; a retry uploads from nothing again', () => {
    const done = run([added('a', 'b'), { type: 'succeeded', key: 'a', attachment: attachment(5) }]);
    expect(done[0]).toMatchObject({ status: 'done', attachment: attachment(5), sent: 1_000 });
    expect(uploadProgress(done[0]!)).toBe(1);

    const failed = run([{ type: 'progress', key: 'b', sent: 700 }, { type: 'failed', key: 'b', error: 'daily upload quota exceeded' }], done);
    expect(failed[1]).toMatchObject({ status: 'failed', error: 'daily upload quota exceeded' });
    const retried = run([{ type: 'retried', key: 'b' }], failed);
    expect(retried[1]).toMatchObject({ status: 'uploading', sent: 0, error: null });
    expect(uploadProgress(retried[1]!)).toBe(0);
  });

  it('ignores what comes after an attempt ended, and retries only what failed', () => {
    const done = run([added('a'), { type: 'succeeded', key: 'a', attachment: attachment(5) }]);
    expect(run([{ type: 'failed', key: 'a', error: 'late' }], done)).toBe(done);
    expect(run([{ type: 'progress', key: 'a', sent: 10 }], done)).toBe(done);
    expect(run([{ type: 'retried', key: 'a' }], done)).toBe(done);
    expect(run([{ type: 'succeeded', key: 'a', attachment: attachment(6) }], done)[0]!.attachment).toEqual(attachment(5));
    const failed = run([added('b'), { type: 'failed', key: 'b', error: 'x' }]);
    expect(run([{ type: 'succeeded', key: 'b', attachment: attachment(7) }], failed)).toBe(failed);
  });

  it('forgets removed and sent uploads; events for them change nothing', () => {
    const state = run([added('a', 'b', 'c'), { type: 'removed', key: 'b' }]);
    expect(status(state)).toEqual(['a:uploading', 'c:uploading']);
    expect(run([{ type: 'succeeded', key: 'b', attachment: attachment(1) }], state)).toBe(state);
    expect(run([{ type: 'removed', key: 'b' }], state)).toBe(state);
    const sent = run([{ type: 'succeeded', key: 'a', attachment: attachment(1) }, { type: 'sent', keys: ['a'] }], state);
    expect(status(sent)).toEqual(['c:uploading']);
  });

  it('adds a key once', () => {
    const state = run([added('a')]);
    expect(run([added('a')], state)).toBe(state);
  });
});

describe('checkPicked', () => {
  const file = (name: string, size = 10) => ({ name, size });

  it(`refuses files over ${MAX_ATTACHMENT_BYTES} bytes and takes one of exactly that size`, () => {
    const { accepted, refused } = checkPicked(
      [file('ok.pdf', MAX_ATTACHMENT_BYTES), file('video.mp4', MAX_ATTACHMENT_BYTES + 1), file('a.txt')],
      0,
    );
    expect(accepted.map((f) => f.name)).toEqual(['ok.pdf', 'a.txt']);
    expect(refused).toEqual([{ name: 'video.mp4', reason: 'too-large' }]);
  });

  it(`takes at most ${MAX_ATTACHMENTS} files per message, counting those held already`, () => {
    const many = Array.from({ length: 12 }, (_, i) => file(`${i}.png`));
    const first = checkPicked(many, 0);
    expect(first.accepted).toHaveLength(MAX_ATTACHMENTS);
    expect(first.refused).toEqual([
      { name: '10.png', reason: 'too-many' },
      { name: '11.png', reason: 'too-many' },
    ]);
    const later = checkPicked([file('big.iso', MAX_ATTACHMENT_BYTES * 2), file('x.png'), file('y.png')], 9);
    expect(later.accepted.map((f) => f.name)).toEqual(['x.png']);
    expect(later.refused).toEqual([
      { name: 'big.iso', reason: 'too-large' },
      { name: 'y.png', reason: 'too-many' },
    ]);
    expect(checkPicked([file('z.png')], MAX_ATTACHMENTS).accepted).toEqual([]);
  });
});

describe('when the composer can send', () => {
  const upload = (key: string, state: 'uploading' | 'done' | 'failed', id = 1): Upload[] => {
    const start = run([added(key)]);
    if (state === 'done') return run([{ type: 'succeeded', key, attachment: attachment(id) }], start);
    if (state === 'failed') return run([{ type: 'failed', key, error: 'no' }], start);
    return start;
  };

  it('needs text or a finished upload', () => {
    expect(composerBlocker('', [])).toBe('empty');
    expect(composerBlocker('  \n ', [])).toBe('empty');
    expect(composerBlocker('Привет', [])).toBeNull();
    expect(composerBlocker('', upload('a', 'done'))).toBeNull();
    expect(composerBlocker('   ', upload('a', 'done'))).toBeNull();
    expect(composerBlocker('', upload('a', 'failed'))).toBe('empty');
  });

  it('waits for uploads under way, but not for failed ones', () => {
    expect(composerBlocker('Привет', upload('a', 'uploading'))).toBe('uploading');
    expect(composerBlocker('', [...upload('a', 'done'), ...upload('b', 'uploading')])).toBe('uploading');
    expect(composerBlocker('Привет', upload('a', 'failed'))).toBeNull();
  });

  it('still refuses over-long text', () => {
    expect(composerBlocker('я'.repeat(MAX_MESSAGE_CHARS + 1), upload('a', 'done'))).toBe('too-long');
    expect(composerBlocker('😀'.repeat(MAX_MESSAGE_CHARS), [])).toBeNull();
  });

  it('sends the finished uploads in the order picked, and no blank text beside them', () => {
    const uploads = [...upload('a', 'done', 3), ...upload('b', 'failed'), ...upload('c', 'done', 1)];
    expect(readyAttachments(uploads).map((a) => a.id)).toEqual([3, 1]);
    expect(contentToSend('  \n')).toBe('');
    expect(contentToSend(' Вот решение ')).toBe(' Вот решение ');
  });
});
