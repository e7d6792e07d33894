import { describe, expect, it } from 'vitest';

import { type Conversation } from '../conversation/model';
import { emptyConversation } from '../conversation/messages';
import { type OutboxEntry, keptWrites, toRestore } from './outbox';

const entry = (key: string, chatId: number): OutboxEntry => ({
  key,
  chatId,
  senderId: 7,
  content: `written offline (${key})`,
  createdAt: '2026-11-28T08:00:00Z',
  replyTo: null,
  attachments: [],
});

const ready = (chatId: number, pendingKeys: string[] = []): Conversation => ({
  ...emptyConversation(chatId),
  status: 'ready',
  pending: pendingKeys.map((key) => ({ ...entry(key, chatId), status: 'sending' as const, error: null })),
});

describe('the outbox after a reload', () => {
  it('shows a kept message again as pending once its conversation is loaded, and only once', () => {
    const kept = [entry('a', 1), entry('b', 2), entry('c', 3)];
    const conversations = { 1: ready(1), 2: emptyConversation(2) }; // 2 still loading, 3 not opened
    expect(toRestore(kept, conversations, new Set()).map((e) => e.key)).toEqual(['a']);
    expect(toRestore(kept, conversations, new Set(['a']))).toEqual([]);
  });

  it('never shows twice a message the conversation already shows as pending (written in this tab)', () => {
    expect(toRestore([entry('a', 1), entry('b', 1)], { 1: ready(1, ['a']) }, new Set()).map((e) => e.key)).toEqual(['b']);
  });
});

describe('a kept message answered before the device wrote it', () => {
  it('is removed after its write, never before it (and so never left to be sent again)', async () => {
    // A device whose write is slower than the server's answer.
    const device = new Map<string, OutboxEntry>();
    let finishWrite = () => {};
    const put = (e: OutboxEntry) =>
      new Promise<void>((resolve) => {
        finishWrite = () => {
          device.set(e.key, e);
          resolve();
        };
      });
    const remove = async (key: string) => {
      device.delete(key);
    };
    const kept = keptWrites(put, remove);
    kept.keep(entry('a', 1));
    const forgotten = kept.forget('a'); // the answer came first
    await Promise.resolve();
    finishWrite();
    await forgotten;
    expect([...device.keys()]).toEqual([]);
  });

  it('forgets one never kept without waiting', async () => {
    const removed: string[] = [];
    const kept = keptWrites(async () => {}, async (key) => void removed.push(key));
    await kept.forget('b');
    expect(removed).toEqual(['b']);
  });
});
