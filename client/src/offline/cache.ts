// Reads that work without a network: the answer is kept on this device (db.ts) each time the
// server gives it, and given back when no answer comes at all (fetch's own failure). A refusal
// (401, 403, 404…) is the server's word and is never covered up by what was kept.

import type { Snapshot } from '../api/request';
import { saveSnapshot, savedSnapshot } from './db';

/** `read`'s answer, kept under `key`; without a network, the one kept last (if any). */
export async function readThrough<T>(key: string, read: () => Promise<Snapshot<T>>): Promise<Snapshot<T>> {
  try {
    const answer = await read();
    void saveSnapshot(key, answer.data, answer.position);
    return answer;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error; // an answer came: the server's word stands
    const saved = await savedSnapshot(key);
    if (saved === null) throw error;
    return { data: saved.data as T, position: saved.position, status: 200 };
  }
}

/** Where the chat list's first page and a conversation's newest page are kept. */
export const CHAT_LIST_KEY = 'chats';
export const conversationKey = (chatId: number) => `chat:${chatId}`;
