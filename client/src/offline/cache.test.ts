import { beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '../api/request';
import { readThrough } from './cache';

// The device's store (IndexedDB in the browser), as a map.
const kept = new Map<string, { data: unknown; position: number | null; savedAt: number }>();
vi.mock('./db', () => ({
  saveSnapshot: async (key: string, data: unknown, position: number | null) => void kept.set(key, { data, position, savedAt: 1 }),
  savedSnapshot: async (key: string) => kept.get(key) ?? null,
}));

const answer = (data: unknown, position: number) => async () => ({ data, position, status: 200 });
const noNetwork = async (): Promise<never> => {
  throw new TypeError('Failed to fetch');
};

describe('reads kept for offline', () => {
  beforeEach(() => kept.clear());

  it('keeps each answer, and gives the last one back, with its position, when no answer comes', async () => {
    expect((await readThrough('chats', answer(['first'], 10))).data).toEqual(['first']);
    await readThrough('chats', answer(['second'], 12));
    await vi.waitFor(() => expect(kept.get('chats')?.data).toEqual(['second']));
    expect(await readThrough('chats', noNetwork)).toEqual({ data: ['second'], position: 12, status: 200 });
  });

  it('never covers up the server’s refusal with what was kept', async () => {
    await readThrough('chat:3', answer({ messages: [] }, 4));
    await vi.waitFor(() => expect(kept.has('chat:3')).toBe(true));
    const refused = new ApiError(401, 'session expired', 'Unauthorized', 'token_expired');
    await expect(
      readThrough('chat:3', async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
  });

  it('without a network and nothing kept, fails as the request did', async () => {
    await expect(readThrough('chat:9', noNetwork)).rejects.toBeInstanceOf(TypeError);
  });
});
