// "Seen by N of M" of a group's message: who of the members read it, from the chat's read
// markers (`GET /api/chats/{id}/read-markers`) and the markers the stream moved since
// (`messages_read`, the conversation's `readMarks`). A member counts for a message from their
// membership on (`since_message_id` below it), never its author; nothing is stored per message.

import { type Schemas, freshness, request } from '../api';

export type Marker = Schemas['ReadMarker'];

export interface Seen {
  seen: Marker[];
  notSeen: Marker[];
}

/** Who of `markers`' members read message `id` by `author`, with `live` markers (by user id) moved since. */
export function seenOf(markers: readonly Marker[], live: Readonly<Record<number, number>>, id: number, author: number): Seen {
  const counted = markers.filter((m) => m.user_id !== author && m.since_message_id < id);
  const read = (m: Marker) => Math.max(m.last_read_message_id, live[m.user_id] ?? 0) >= id;
  return { seen: counted.filter(read), notSeen: counted.filter((m) => !read(m)) };
}

/** The chat's read markers, every member's, by name. */
export async function readMarkers(chatId: number): Promise<Marker[]> {
  const path = `/api/chats/${chatId}/read-markers`;
  return (await request<Schemas['ReadMarkers']>('GET', path, undefined, freshness())).data.markers;
}
