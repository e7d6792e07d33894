// A page of the chat list as the workspace takes it: the list's items, and what else the page
// tells (its log position, the next page's cursor, the partners' presence, names met) — for
// participants (`GET /api/chats`) and admins (`GET /api/admin/chats`) alike.

import * as api from './api';
import { CHAT_LIST_KEY, readThrough } from './offline/cache';
import { fromAdminChat, fromSummary } from './chats/items';
import type { ChatItem } from './chats/model';
import type { KnownPerson } from './groups';
import { type PresenceAction, participantsPresence } from './presence';

export type PresenceSnapshot = Extract<PresenceAction, { type: 'snapshot' }>['users'];

export interface FetchedChats {
  items: ChatItem[];
  position: number | null;
  nextCursor: string | null;
  presence: PresenceSnapshot;
  people: KnownPerson[];
}

/**
 * A page of the list (the first without a cursor), or what a search finds (`q`). The first page
 * of a participant's list is kept on this device, and read from there without a network (offline/).
 */
export async function fetchChats(isAdmin: boolean, query: api.ChatQuery = {}): Promise<FetchedChats> {
  if (isAdmin) {
    const { data, position } = await api.adminChats(query);
    const people = data.chats.flatMap((chat) => chat.participants);
    const items = data.chats.map((chat) => fromAdminChat(chat));
    return { items, position, nextCursor: data.next_cursor, presence: [], people };
  }
  const first = Object.keys(query).length === 0;
  const { data, position } = await (first ? readThrough(CHAT_LIST_KEY, () => api.chats(query)) : api.chats(query));
  const people = data.chats.flatMap((chat): KnownPerson[] => {
    const sender = chat.last_message?.sender_name;
    return [
      ...(chat.participant ? [chat.participant] : []),
      ...(chat.last_message && sender ? [{ id: chat.last_message.sender_id, name: sender }] : []),
    ];
  });
  return {
    items: data.chats.map((chat) => fromSummary(chat)),
    position,
    nextCursor: data.next_cursor,
    presence: participantsPresence(data.chats),
    people,
  };
}
