import { describe, expect, it } from 'vitest';

import { type ConversationAction, conversationReducer } from './messages';
import { ME, OTHER, ids, loaded, run, wire } from './messagesFixtures';
import type { Conversation, WireMessage } from './model';
import { previewOf, replyRefOf } from './quotes';

const edited = (id: number, content: string, editedAt: string, senderId = OTHER): ConversationAction => ({
  type: 'edited',
  message: { ...wire(id, senderId, content), is_edited: true, edited_at: editedAt },
});

const texts = (state: Conversation) => state.messages.map((m) => m.content);

describe('edits', () => {
  it('replaces the text of a loaded message and marks it edited', () => {
    const state = run([edited(2, 'fixed', '2025-01-17T16:00:00Z')], loaded(1, 2));
    expect(texts(state)).toEqual(['message 1', 'fixed']);
    expect(state.messages[1]).toMatchObject({ isEdited: true, editedAt: '2025-01-17T16:00:00Z' });
  });

  it('keeps the newest of two edits, whatever order they arrive in', () => {
    const newer = edited(2, 'second', '2025-01-17T16:05:00Z');
    const older = edited(2, 'first', '2025-01-17T16:00:00Z');
    expect(texts(run([older, newer], loaded(2)))).toEqual(['second']);
    expect(texts(run([newer, older], loaded(2)))).toEqual(['second']);
    const again = run([newer], loaded(2));
    expect(conversationReducer(again, newer)).toBe(again);
  });

  it('ignores an answer that says nothing changed (the same text again)', () => {
    const state = loaded(2);
    const unchanged: ConversationAction = { type: 'edited', message: { ...wire(2), is_edited: false, edited_at: null } };
    expect(conversationReducer(state, unchanged)).toBe(state);
  });

  const started: ConversationAction = {
    type: 'sendStarted',
    key: 'k1',
    senderId: ME,
    content: 'typo',
    createdAt: '2025-01-17T15:40:00Z',
    replyTo: null,
  };
  const saved = wire(10, ME, 'typo');
  const fix = edited(10, 'fixed', '2025-01-17T15:41:00Z', ME);

  it('applies an edit that arrives after the POST answer', () => {
    const state = run([started, { type: 'sendSucceeded', key: 'k1', message: saved }, fix], loaded(1));
    expect(texts(state)).toEqual(['message 1', 'fixed']);
  });

  it('applies an edit that arrives before the POST answer (from another tab of ours)', () => {
    const state = run([started, fix, { type: 'sendSucceeded', key: 'k1', message: saved }], loaded(1));
    expect(texts(state)).toEqual(['message 1', 'fixed']);
    expect(state.messages[1]!.isEdited).toBe(true);
    expect(state.pending).toEqual([]);
    // Also with the stream's echo first: the echo is replaced by nothing older.
    const echoed = run(
      [started, { type: 'received', message: saved }, fix, { type: 'sendSucceeded', key: 'k1', message: saved }],
      loaded(1),
    );
    expect(texts(echoed)).toEqual(['message 1', 'fixed']);
  });

  it('remembers an edit of a message not loaded yet, for the page or snapshot that brings it', () => {
    const start = run([{ type: 'snapshot', messages: [wire(50)], hasMore: true }]);
    const state = run(
      [edited(48, 'fixed', '2025-01-17T16:00:00Z'), { type: 'olderLoaded', messages: [wire(48), wire(49)], hasMore: false }],
      start,
    );
    expect(texts(state)).toEqual(['fixed', 'message 49', 'message 50']);
    // A snapshot read before the edit brings the old text: the edit stays.
    const reloaded = run([{ type: 'snapshot', messages: [wire(48), wire(50)], hasMore: false }], state);
    expect(texts(reloaded)).toEqual(['fixed', 'message 50']);
    // A snapshot with a newer edit wins.
    const newer = { ...wire(48, OTHER, 'newer'), is_edited: true, edited_at: '2025-01-17T16:30:00Z' };
    expect(texts(run([{ type: 'snapshot', messages: [newer, wire(50)], hasMore: false }], state))).toEqual([
      'newer',
      'message 50',
    ]);
  });

  it('does not edit a deleted message back into view', () => {
    const state = run([{ type: 'deleted', id: 2 }, edited(2, 'fixed', '2025-01-17T16:00:00Z')], loaded(1, 2));
    expect(ids(state)).toEqual([1]);
  });
});

describe('replies', () => {
  const quoting = (id: number, parent: number, preview: string | null = `message ${parent}`): WireMessage => ({
    ...wire(id),
    reply_to: {
      id: parent,
      sender_id: OTHER,
      content_preview: preview,
      is_deleted: preview === null,
      unavailable: false,
      removed: null,
    },
  });

  it('shows the quote the server sends', () => {
    const state = run([{ type: 'snapshot', messages: [wire(1), quoting(2, 1)], hasMore: false }]);
    expect(state.messages[1]!.replyTo).toEqual({ id: 1, senderId: OTHER, preview: 'message 1', isDeleted: false });
  });

  it('refreshes quotes when the quoted message is edited: loaded ones, pending ones and later ones', () => {
    const start = run([{ type: 'snapshot', messages: [wire(1), quoting(2, 1)], hasMore: false }]);
    const pending: ConversationAction = {
      type: 'sendStarted',
      key: 'k',
      senderId: ME,
      content: 'me too',
      createdAt: '2025-01-17T16:00:00Z',
      replyTo: replyRefOf({ id: 1, senderId: OTHER, content: 'message 1' }),
    };
    const long = 'д'.repeat(150);
    const state = run([pending, edited(1, long, '2025-01-17T16:01:00Z')], start);
    expect(state.messages[1]!.replyTo?.preview).toBe('д'.repeat(100));
    expect(state.pending[0]!.replyTo?.preview).toBe('д'.repeat(100));
    // A reply that arrives later with the preview of the old text gets the new one.
    const late = run([{ type: 'received', message: quoting(3, 1) }], state);
    expect(late.messages[2]!.replyTo?.preview).toBe('д'.repeat(100));
  });

  it('marks quotes of a deleted message, also in replies that arrive later', () => {
    const start = run([{ type: 'snapshot', messages: [wire(1), quoting(2, 1)], hasMore: false }]);
    const state = run([{ type: 'deleted', id: 1 }, { type: 'received', message: quoting(3, 1) }], start);
    expect(ids(state)).toEqual([2, 3]);
    for (const message of state.messages) {
      expect(message.replyTo).toEqual({ id: 1, senderId: OTHER, preview: null, isDeleted: true });
    }
  });

  it('lets the echo of a reply claim only the pending reply to the same message', () => {
    const base = { type: 'sendStarted', senderId: ME, content: '+1', createdAt: '2025-01-17T16:00:00Z' } as const;
    const toOne = replyRefOf({ id: 1, senderId: OTHER, content: 'message 1' });
    const toTwo = replyRefOf({ id: 2, senderId: OTHER, content: 'message 2' });
    const echo: WireMessage = {
      ...wire(10, ME, '+1'),
      reply_to: { id: 2, sender_id: OTHER, content_preview: 'message 2', is_deleted: false, unavailable: false, removed: null },
    };
    const state = run(
      [{ ...base, key: 'a', replyTo: toOne }, { ...base, key: 'b', replyTo: toTwo }, { type: 'received', message: echo }],
      loaded(1, 2),
    );
    expect(state.pending.map((p) => p.key)).toEqual(['a']);
  });

  it('cuts previews at 100 code points', () => {
    expect(previewOf('short')).toBe('short');
    expect(previewOf('😀'.repeat(101))).toBe('😀'.repeat(100));
  });
});
