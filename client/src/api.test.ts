import { afterEach, describe, expect, it, vi } from 'vitest';

import { chats, messages, notePosition, resetPosition, sendMessage } from './api';

/** A fetch that answers every request with `{}`-ish JSON and `position`, recording headers. */
function serve(position: number | null) {
  const seen: Record<string, string>[] = [];
  vi.stubGlobal('fetch', async (_path: string, init: RequestInit) => {
    seen.push({ ...(init.headers as Record<string, string>) });
    const headers = new Headers({ 'content-type': 'application/json' });
    if (position !== null) headers.set('x-event-position', String(position));
    return new Response('{"chats":[],"messages":[],"has_more":false,"id":1}', { status: 200, headers });
  });
  return seen;
}

describe('X-Min-Event-Position', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    resetPosition(0);
  });

  it('is not sent before anything was seen', async () => {
    const seen = serve(null);
    await chats();
    expect(seen[0]?.['x-min-event-position']).toBeUndefined();
  });

  it('asks history and chat lists for at least the newest position seen, from any source', async () => {
    const seen = serve(41);
    await chats(); // a snapshot at 41
    await messages(7);
    expect(seen[1]?.['x-min-event-position']).toBe('41');
    notePosition(57); // an event on the stream
    notePosition(12); // older: ignored
    await messages(7);
    expect(seen[2]?.['x-min-event-position']).toBe('57');
  });

  it('includes the position of our own write, so the next read shows it', async () => {
    const seen = serve(90);
    await sendMessage(7, 'hi', 'key-1');
    expect(seen[0]?.['x-min-event-position']).toBeUndefined(); // writes do not wait
    await chats();
    expect(seen[1]?.['x-min-event-position']).toBe('90');
  });

  it('starts again from a reset', async () => {
    notePosition(500);
    resetPosition(3);
    const seen = serve(null);
    await messages(1);
    expect(seen[0]?.['x-min-event-position']).toBe('3');
  });
});
