// Chats and their messages: the chat lists a page at a time, the unread count, a chat's
// history, sending (retried with its Idempotency-Key), editing and deleting a message, the
// read marker, typing and presence.

import { type Snapshot, get, getFresh, request, retryingTransient } from './request';
import type {
  AdminChat,
  ChatKind,
  ChatSummary,
  HeldMessage,
  PresenceAnswer,
  Schemas,
  SentMessage,
  UnreadCount,
} from './types';

/** A page of a chat list and where the next one starts (null: this was the last). */
export interface ChatPage<T> {
  chats: T[];
  next_cursor: string | null;
}

/**
 * The size of the chat list's pages. The list is always asked a page at a time: without
 * `limit` (and `cursor`) the server answers every chat at once.
 */
export const CHAT_PAGE_SIZE = 100;

/** What `GET /api/chats` and `GET /api/admin/chats` take (the client always sends a `limit`). */
export interface ChatQuery {
  /** 1–500 (`CHAT_PAGE_SIZE` unless given). */
  limit?: number;
  /** The previous page's `next_cursor`. */
  cursor?: string | null;
  /** Only chats whose title or a person's name contains this (1–100 characters). */
  q?: string;
  kind?: ChatKind;
  /** Participants: the chats we archived, rather than the inbox. */
  archived?: boolean;
}

function chatQuery(query: ChatQuery): string {
  const params = new URLSearchParams();
  params.set('limit', String(query.limit ?? CHAT_PAGE_SIZE));
  if (query.cursor) params.set('cursor', query.cursor);
  if (query.q !== undefined && query.q.trim() !== '') params.set('q', query.q.trim());
  if (query.kind) params.set('kind', query.kind);
  if (query.archived) params.set('archived', 'true');
  return `?${params}`;
}

/** Our own settings of a chat: `mute` (no push or webhook notice), `archive` (out of the inbox until its next message). */
export type ChatSettingName = 'mute' | 'archive';

/** Turns our setting of a chat on (`PUT`) or off (`DELETE`): idempotent, the stream tells every tab. */
export async function setChatSetting(chatId: number, setting: ChatSettingName, on: boolean): Promise<void> {
  await request<unknown>(on ? 'PUT' : 'DELETE', `/api/chats/${chatId}/${setting}`);
}

/** A page of our chats, most recent activity first. */
export async function chats(query: ChatQuery = {}): Promise<Snapshot<ChatPage<ChatSummary>>> {
  const { data, ...answer } = await getFresh<Schemas['ChatList']>(`/api/chats${chatQuery(query)}`);
  return { data: { chats: data.chats, next_cursor: data.next_cursor ?? null }, ...answer };
}

/** A page of every chat (admins). */
export async function adminChats(query: ChatQuery = {}): Promise<Snapshot<ChatPage<AdminChat>>> {
  const { data, ...answer } = await getFresh<Schemas['AdminChatList']>(`/api/admin/chats${chatQuery(query)}`);
  return { data: { chats: data.chats, next_cursor: data.next_cursor ?? null }, ...answer };
}

/** The caller's unread messages over all their chats (students and teachers: admins and guests are refused). */
export async function unreadCount(): Promise<UnreadCount> {
  return (await get<UnreadCount>('/api/unread-count')).data;
}

export const PAGE_SIZE = 50;

/** A page of a chat's history (`has_newer`: newer messages exist after its last one). */
export type History = Schemas['History'];

/**
 * Which page of history: the newest (none given), the one older than `beforeId`, the one newer
 * than `afterId`, or the one around the message `around` (about half before it, half after).
 */
export type HistoryPage = { beforeId?: number; afterId?: number; around?: number };

export async function messages(chatId: number, page: HistoryPage = {}): Promise<Snapshot<History>> {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (page.beforeId !== undefined) query.set('before_id', String(page.beforeId));
  if (page.afterId !== undefined) query.set('after_id', String(page.afterId));
  if (page.around !== undefined) query.set('around', String(page.around));
  return getFresh(`/api/chats/${chatId}/messages?${query}`);
}

/**
 * What a send was answered: the message (201, or 200 for a repeat), or, inside quiet hours, a
 * teacher's message held until `deliver_at` (202: nobody sees it until then; docs/safeguarding.md).
 */
export type SendAnswer = { kind: 'sent'; message: SentMessage } | { kind: 'held'; held: HeldMessage };

/**
 * Sends a message. `idempotencyKey` names this message, not this attempt: a retry after a lost
 * answer sends the same key, and the server answers with the message the first attempt
 * created instead of creating a second one. `author`: who wrote it (`X-Expected-User`): the
 * server refuses it (409 `expected_user_mismatch`) if the browser's session is now someone
 * else's, so that one person's words never go out under another's name.
 */
export async function sendMessage(
  chatId: number,
  content: string,
  idempotencyKey: string,
  replyToId: number | null = null,
  attachmentIds: readonly number[] = [],
  author: number | null = null,
): Promise<SendAnswer> {
  const headers: Record<string, string> = { 'idempotency-key': idempotencyKey };
  if (author !== null) headers['x-expected-user'] = String(author);
  const body: Schemas['SendMessage'] = {
    chat_id: chatId,
    content,
    ...(replyToId === null ? {} : { reply_to_message_id: replyToId }),
    ...(attachmentIds.length === 0 ? {} : { attachment_ids: [...attachmentIds] }),
  };
  // Sent again by itself while the answer may still come (a failover): the key makes a repeat
  // of a send that did land return that message, never a second one.
  const { data, status } = await retryingTransient(() =>
    request<SentMessage | HeldMessage>('POST', '/api/messages', body, headers),
  );
  return status === 202 ? { kind: 'held', held: data as HeldMessage } : { kind: 'sent', message: data as SentMessage };
}

/** Replaces the text of one of our messages; answers the message as it is now. */
export async function editMessage(id: number, content: string): Promise<SentMessage> {
  const body: Schemas['EditMessage'] = { content };
  return (await request<SentMessage>('PUT', `/api/messages/${id}`, body)).data;
}

/** Moves our read marker in a chat forward to `upToId` (the server ignores a step back). */
export async function markRead(chatId: number, upToId: number): Promise<void> {
  const body: Schemas['ReadUpTo'] = { up_to_message_id: upToId };
  await request<void>('POST', `/api/chats/${chatId}/read`, body);
}

/**
 * Tells the chat's other participant that we are typing (`true`, renewed while it goes on) or
 * have stopped (`false`). Participants only; answered 204.
 */
export async function setTyping(chatId: number, isTyping: boolean): Promise<void> {
  const body: Schemas['Typing'] = { is_typing: isTyping };
  await request<void>('POST', `/api/chats/${chatId}/typing`, body);
}

/** Whether `userId` is online now (someone we share a chat with; admins: anyone). */
export async function presence(userId: number): Promise<Snapshot<PresenceAnswer>> {
  return get(`/api/presence/${userId}`);
}

export async function deleteMessage(id: number): Promise<void> {
  await request<Schemas['Deleted']>('DELETE', `/api/messages/${id}`);
}
