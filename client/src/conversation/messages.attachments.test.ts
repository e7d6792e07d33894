import { describe, expect, it } from 'vitest';

import type { Attachment } from '../api';
import type { ConversationAction } from './messages';
import { ME, OTHER, ids, loaded, run, wire } from './messagesFixtures';
import type { WireMessage } from './model';

describe('attachments', () => {
  const file = (id: number, contentType = 'image/png'): Attachment => ({
    id,
    name: `file-${id}`,
    content_type: contentType,
    size: 100,
    sha256: 'ab'.repeat(32),
  });
  const withFiles = (id: number, senderId: number, attachments: Attachment[], content = '', type?: string): WireMessage => ({
    ...wire(id, senderId, content),
    attachments,
    ...(type === undefined ? {} : { type }),
  });

  it('reads a message’s type and files; a server before attachments sends text messages', () => {
    const state = run([
      {
        type: 'snapshot',
        messages: [wire(1), withFiles(2, OTHER, [file(5)], '', 'image'), withFiles(3, OTHER, [file(6, 'application/pdf')], 'PDF')],
        hasMore: false,
      },
    ]);
    expect(state.messages.map((m) => [m.type, m.attachments.map((a) => a.id), m.content])).toEqual([
      ['text', [], 'message 1'],
      ['image', [5], ''],
      ['file', [6], 'PDF'],
    ]);
  });

  it('shows the files of a message being sent, and keeps them for its retry', () => {
    const started: ConversationAction = {
      type: 'sendStarted',
      key: 'k',
      senderId: ME,
      content: '',
      createdAt: '2025-01-17T16:00:00Z',
      replyTo: null,
      attachments: [file(5)],
    };
    const state = run([started, { type: 'sendFailed', key: 'k', error: 'offline' }, { type: 'retried', key: 'k' }], loaded(1));
    expect(state.pending[0]).toMatchObject({ status: 'sending', content: '', attachments: [file(5)] });
  });

  it('lets the echo of a message without text claim the pending copy with the same files only', () => {
    const base = { type: 'sendStarted', senderId: ME, content: '', createdAt: '2025-01-17T16:00:00Z', replyTo: null } as const;
    const state = run(
      [
        { ...base, key: 'a', attachments: [file(5)] },
        { ...base, key: 'b', attachments: [file(6), file(7)] },
        { type: 'received', message: withFiles(10, ME, [file(6), file(7)], '', 'image') },
      ],
      loaded(1),
    );
    expect(state.pending.map((p) => p.key)).toEqual(['a']);
    expect(ids(state)).toEqual([1, 10]);
    // The answer to the other POST settles it as usual.
    const settled = run([{ type: 'sendSucceeded', key: 'a', message: withFiles(11, ME, [file(5)], '', 'image') }], state);
    expect(settled.pending).toEqual([]);
    expect(settled.messages.map((m) => m.attachments.map((a) => a.id))).toEqual([[], [6, 7], [5]]);
  });

  it('keeps a message’s files when its caption is edited', () => {
    const start = run([{ type: 'snapshot', messages: [withFiles(2, OTHER, [file(5)], '', 'image')], hasMore: false }]);
    const message = { ...withFiles(2, OTHER, [file(5)], 'Подпись', 'image'), is_edited: true, edited_at: '2025-01-17T16:05:00Z' };
    const state = run([{ type: 'edited', message }], start);
    expect(state.messages[0]).toMatchObject({ content: 'Подпись', isEdited: true, type: 'image', attachments: [file(5)] });
  });
});
