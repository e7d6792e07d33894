// One chat of the list: made from what the server sends (a participant's `ChatSummary`, an
// admin's `AdminChat`), and what is said of it (its name and title, closed, who may manage
// it, what a read does to its badge); the badges' sum and the tab's title.

import type { TFunction } from 'i18next';

import type { AdminChat, ChatSummary, Person } from '../api';
import { messageType } from '../attachments/attachments';
import { removalOfPreview } from '../moderation/removal';
import type { ChatItem, ChatList } from './model';

/** The header fields of a chat view (a server before groups sent none: a direct chat). */
function header(
  chat: Partial<
    Pick<
      ChatSummary,
      | 'kind'
      | 'title'
      | 'context'
      | 'created_by'
      | 'participants_count'
      | 'closed_at'
      | 'guardians_read'
      | 'announcement'
      | 'subjects'
      | 'teacher_departed'
      | 'children'
    >
  >,
) {
  const kind = chat.kind ?? 'direct';
  return {
    kind,
    title: chat.title ?? null,
    context: chat.context ?? null,
    createdBy: chat.created_by ?? null,
    participantsCount: chat.participants_count ?? (kind === 'group' ? 0 : 2),
    closedAt: chat.closed_at ?? null,
    // A server before guardians: nobody reads along.
    guardiansRead: chat.guardians_read ?? false,
    // A server before announcements: every member writes.
    announcement: chat.announcement ?? false,
    // A server before lesson subjects: none.
    subjects: chat.subjects ?? [],
    // A server before departures: every teacher is here.
    teacherDeparted: chat.teacher_departed ?? false,
    // A server before family chats: none.
    children: chat.children ?? [],
  };
}

export function fromSummary(chat: ChatSummary, position = 0): ChatItem {
  const other = chat.participant;
  return {
    id: chat.id,
    ...header(chat),
    // Presence is kept apart (presence.ts).
    people: other ? [{ id: other.id, name: other.name, role: other.role }] : [],
    ward: chat.ward ? { id: chat.ward.id, name: chat.ward.name, role: chat.ward.role } : null,
    // A server before guardians read groups: a ward's whole chat.
    wardOnly: chat.ward_only ?? false,
    lastMessage: chat.last_message
      ? {
          id: chat.last_message.id,
          senderId: chat.last_message.sender_id,
          senderName: chat.last_message.sender_name ?? null,
          content: chat.last_message.content,
          createdAt: chat.last_message.created_at,
          type: messageType(chat.last_message.type, []),
          removed: removalOfPreview(chat.last_message.removed),
        }
      : null,
    lastActivityAt: chat.updated_at ?? chat.last_message?.created_at ?? null,
    unread: chat.unread_count,
    lastReadId: chat.last_read_message_id ?? 0,
    unreadStale: false,
    messagesCount: null,
    membership: 'member',
    // A server before archive and mute: neither.
    muted: chat.muted ?? false,
    // A server before departures: nobody has left.
    participantDeparted: chat.participant_departed ?? false,
    archived: chat.archived ?? false,
    position,
  };
}

export function fromAdminChat(chat: AdminChat, position = 0): ChatItem {
  return {
    id: chat.id,
    ...header(chat),
    people: chat.participants,
    ward: null,
    wardOnly: false,
    lastMessage: null,
    lastActivityAt: chat.last_message_at ?? chat.updated_at ?? null,
    unread: 0,
    lastReadId: 0,
    unreadStale: false,
    messagesCount: chat.messages_count,
    membership: 'member',
    muted: false,
    archived: false,
    position,
  };
}

/** The people's names: the other participant's (both for admins). */
export function peopleNames(item: Pick<ChatItem, 'people'>): string {
  return item.people.map((p) => p.name).join(' · ');
}

/**
 * What a chat is called: a group's or an inquiry's title; the other participant's name (both
 * names for admins) for a direct chat (and an inquiry without a title); null without either.
 */
export function chatName(item: Pick<ChatItem, 'kind' | 'title' | 'people'>): string | null {
  if ((item.kind === 'group' || item.kind === 'inquiry') && item.title) return item.title;
  return peopleNames(item) || null;
}

/** A chat's title as shown: its name, else "Chat 12" in the words of `t`. */
export function chatTitle(item: ChatItem, t: TFunction): string {
  return chatName(item) ?? t('chatList.fallbackTitle', { id: item.id });
}

/** Whether a chat is read-only because the server closed it (an idle inquiry). */
export function isClosed(item: Pick<ChatItem, 'closedAt'> | null | undefined): boolean {
  return item?.closedAt != null;
}

/** Whether a family chat concerns none of the guardian's children now: read-only for both. */
export function familyEnded(item: Pick<ChatItem, 'kind' | 'children'> | null | undefined): boolean {
  return item?.kind === 'family' && item.children.length === 0;
}

/** Whether `me` may rename a group and add and remove its members: its owner or an admin. */
export function canManage(item: Pick<ChatItem, 'kind' | 'createdBy'>, me: Person): boolean {
  return item.kind === 'group' && (me.role === 'admin' || item.createdBy === me.id);
}

/** What reading up to `upTo` (ours, from any tab) does to a chat's badge. */
export function ownReadOutcome(item: ChatItem, upTo: number): 'cleared' | 'unchanged' | 'refetch' {
  if (item.unread === 0 || upTo <= item.lastReadId) return 'unchanged'; // nothing new to learn
  if (upTo >= (item.lastMessage?.id ?? 0)) return 'cleared';
  return 'refetch'; // some are read, some are not: only the server can count them
}

/** The sum of the unread badges of the chats listed (the title's total is the server's: unread.ts). */
export function unreadTotal(state: Pick<ChatList, 'items'>): number {
  return state.items.reduce((sum, item) => sum + item.unread, 0);
}

/** The tab's title: "(3) Tutorchat" while something is unread. */
export function documentTitle(unread: number, base: string): string {
  return unread > 0 ? `(${unread}) ${base}` : base;
}
