// The tutorchat REST API, typed with the types generated from the server's OpenAPI document
// (src/generated/api.ts, `npm run gen:api`). Every call goes through `request`, which sends
// relative, same-origin requests (the session is an HttpOnly cookie; the browser adds the
// Origin header the server checks on writes) and turns an `{"error", "code"}` body into a
// thrown ApiError. What a person reads of it comes from its `code`, in their language
// (errors.ts); the server's English sentence is for logs and developers.

import type { components } from './generated/api';

/**
 * The schemas of the server's OpenAPI document, as `npm run gen:api` generates them
 * (src/generated/api.ts): the wire types below are these, under the names the client uses.
 * A field the document does not list as required may be absent (`?`): read it with a default.
 */
type Schemas = components['schemas'];

/** `guest`: a visitor without an account who opened an inquiry link (may use only that chat). */
export type Role = Schemas['Role'];
export type Person = Schemas['Person'];
export type DevUser = Schemas['DevUser'];
/** Someone's presence (`GET /api/presence/{id}`, SSE `presence`): `last_seen` null or absent while online and if never seen. */
export type PresenceAnswer = Schemas['PresenceEvent'];
/** The other participant of a direct chat or an inquiry, with their presence. */
export type Participant = Schemas['Contact'];

/**
 * `direct`: a student and a teacher, opened by a lesson. `group`: created by a teacher or an
 * admin. `inquiry`: a guest and a teacher, opened through the teacher's inquiry link; shown as
 * a direct chat with its other participant, under the link's title, and closed (read-only)
 * after a while without messages.
 */
export type ChatKind = Schemas['ChatKind'];

/**
 * What a chat is about, as its creator described it, e.g. `{"type": "course", "id": 12,
 * "title": "ЕГЭ математика"}`: any JSON object; the inbox groups chats by its `title`.
 */
export type ChatContext = NonNullable<Schemas['ChatHeader']['context']>;

/** What every view of a chat says about it, whoever looks (`title`, `context`, `created_by`, `closed_at`: null or absent when none). */
export type ChatHeader = Schemas['ChatHeader'];
/** One chat as its participant sees it (`GET /api/chats`). */
export type ChatSummary = Schemas['ChatSummary'];
/** One chat as an admin sees it (`GET /api/admin/chats`). */
export type AdminChat = Schemas['AdminChat'];
/** A member of a chat, with their presence and when they joined. */
export type Member = Schemas['Member'];
/** `GET /api/chats/{id}`: one chat with its current members, in the order they joined. */
export type ChatDetails = Schemas['ChatDetails'];
/**
 * The message a reply quotes, as it is now (`content_preview` null once it is deleted), or only
 * that it is `unavailable` to us (written before we joined the group: no author, no text).
 */
export type ReplyPreview = Schemas['ReplyPreview'];
/**
 * A file uploaded to a chat (`POST /api/chats/{id}/attachments`), as every message view shows
 * it. `width` and `height`: only for an image whose size the server could read. Its bytes are
 * at `attachmentUrl(id)` (always served as a download, never rendered by the server's page).
 */
export type Attachment = Schemas['Attachment'];
/** `image`: every attachment is an image; `file`: some attachments, not all images; `text`: none. */
export type MessageType = Schemas['MessageType'];
export type HistoryMessage = Schemas['HistoryMessage'];
export type SentMessage = Schemas['SentMessage'];
/** `GET /api/unread-count`: the caller's unread messages over all their chats, and in how many chats. */
export type UnreadCount = Schemas['UnreadCount'];
/** What every error answer's `code` may be (`{"error", "code"}`): stable, what the client switches on. */
export type ErrorCode = Schemas['Code'];

// Moderation, erasure and export (their requests: moderationApi.ts).

/** A moderator hid a message: participants get it without content or files; admins get both, and who hid it and why. */
export type Hidden = Schemas['Hidden'];
/** Why a message's content was removed for good: its retention period ended, or its author's data was erased. */
export type PurgeCause = Schemas['PurgeCause'];
/** A message's content was removed for good, for everyone. */
export type Purged = Schemas['Purged'];
/** What a quote or a chat's last message says of a message that was hidden or purged (null: neither). */
export type Removed = Schemas['Removal'];
/** An account's suspension: until when (null: indefinitely) and why. */
export type Suspension = Schemas['Suspension'];
/** A person's erasure: asked for, and done (`completed_at`) once every message and file of theirs is gone. */
export type Erasure = Schemas['Erasure'];
/** A report of a message (`GET /api/admin/reports`, SSE `message_reported`): the message, who reported it and why. */
export type ReportView = Schemas['ReportView'];
export type ReportList = Schemas['ReportList'];
/** `POST /api/messages/{id}/report`'s 201 answer. */
export type ReportCreated = Schemas['Reported'];
/** Which reports to list: the open ones (not resolved yet), or all. */
export type ReportState = Schemas['ReportState'];
/** A person as the moderation view lists them (`GET /api/admin/users`). */
export type AdminUser = Schemas['AdminUser'];
export type AdminUserList = Schemas['AdminUsers'];
/** `POST /api/admin/users/{id}/erase`'s 202 answer. */
export type ErasureStarted = Schemas['ErasureStarted'];
/** Why (a report, a hide, an erasure): 1–500 characters, not blank. */
export type Reason = Schemas['Reason'];
export type SuspendRequest = Schemas['SuspendRequest'];
/** What a chat's export is downloaded as (`GET /api/chats/{id}/export?format=`). */
export type ExportFormat = Schemas['Format'];
/** The language of an export (`lang=`; else the server takes it from `Accept-Language`). */
export type ExportLanguage = Schemas['Lang'];

/** A read-model answer and the event-log position it reflects (`X-Event-Position`). */
export interface Snapshot<T> {
  data: T;
  position: number | null;
}

export class ApiError extends Error {
  readonly status: number;
  /** The server's own words (`{"error": …}`, English, for developers and logs); null when its answer had none. */
  readonly reason: string | null;
  readonly statusText: string;
  /**
   * What went wrong, for programs (`{"code": …}`, e.g. `guest_session_ended`): stable, what the
   * client switches on (never the words); null when the answer had none. A string, as a newer
   * server may send a code this client does not know yet (`hasCode` compares with known ones).
   */
  readonly code: string | null;
  /** The answer's `Retry-After`, in seconds (429, 503), if it had one. */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    reason: string | null,
    statusText = '',
    code: string | null = null,
    retryAfter: number | null = null,
  ) {
    super(reason ?? `${status} ${statusText}`.trim());
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.statusText = statusText;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * How long a send goes on retrying by itself, with its `Idempotency-Key`, while the answer may
 * still come: the database failing over (503 with `Retry-After`; docs/high-availability.md
 * bounds it well below this), nginx finding no replica (502, 504), the connection lost. After
 * it, the message shows Retry.
 */
export const SEND_RETRY_WINDOW_MS = 30_000;

/** Whether a failed request may be sent again as it is: the server was unavailable, or its answer was lost. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 502 || error.status === 503 || error.status === 504;
  return error instanceof TypeError; // fetch's own failure: no answer at all
}

/**
 * `attempt`, again while it fails transiently (`isTransient`), each time after the server's
 * `Retry-After` (or a second), until `windowMs` has passed; then its last failure. Only for
 * requests the server recognises when repeated (a send's `Idempotency-Key`).
 */
export async function retryingTransient<T>(
  attempt: () => Promise<T>,
  windowMs = SEND_RETRY_WINDOW_MS,
  sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  now = () => Date.now(),
): Promise<T> {
  const deadline = now() + windowMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const left = deadline - now();
      if (!isTransient(error) || left <= 0) throw error;
      const seconds = error instanceof ApiError && error.retryAfter !== null ? error.retryAfter : 1;
      await sleep(Math.min(seconds * 1000, left));
    }
  }
}

/** A field of a parsed answer body (`error`, `code`), if it is a string. */
function fieldOf(parsed: unknown, field: 'error' | 'code'): string | null {
  if (typeof parsed !== 'object' || parsed === null) return null;
  const value = (parsed as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : null;
}

/** The ApiError of a refused request, from its status and parsed body. */
function refusal(status: number, parsed: unknown, statusText: string, retryAfter: string | null = null): ApiError {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null;
  return new ApiError(status, fieldOf(parsed, 'error'), statusText, fieldOf(parsed, 'code'), seconds);
}

/**
 * Whether the session is over (401, whatever its code: `unauthenticated`, `token_expired`,
 * `guest_session_ended`, or one added later): the user must sign in again.
 */
export function isUnauthorized(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 401;
}

/** Whether `error` is the server's refusal with this `code`. */
export function hasCode(error: unknown, code: ErrorCode): error is ApiError {
  return error instanceof ApiError && error.code === code;
}

/**
 * The newest event-log position this tab has seen: from a snapshot, its own write, or its event
 * stream (`notePosition`). Reads of history and chat lists send it as `X-Min-Event-Position`,
 * so that a server reading from a standby never answers with data older than what is already
 * on screen, or without the message just sent (it waits for the standby, or asks the primary).
 */
let seenPosition = 0;

/** Records a position this tab has seen (ignored unless newer). */
export function notePosition(position: number | null | undefined): void {
  if (typeof position === 'number' && Number.isSafeInteger(position) && position > seenPosition) {
    seenPosition = position;
  }
}

/** After a `reset` (the log is not the one our positions came from): start again from `position`. */
export function resetPosition(position: number): void {
  seenPosition = Number.isSafeInteger(position) && position >= 0 ? position : 0;
}

/** The header that asks for an answer at least as recent as what this tab has seen. */
export function freshness(): Record<string, string> {
  return seenPosition > 0 ? { 'x-min-event-position': String(seenPosition) } : {};
}

/**
 * One request to the API (moderationApi.ts, searchApi.ts and pushApi.ts send theirs through it
 * too); `signal` stops it (it then rejects with an `AbortError`).
 */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Snapshot<T>> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } };
  if (signal) init.signal = signal;
  if (body !== undefined) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) throw refusal(response.status, parsed, response.statusText, response.headers.get('retry-after'));
  const header = response.headers.get('x-event-position');
  const position = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  notePosition(position);
  return { data: parsed as T, position };
}

const get = <T>(path: string) => request<T>('GET', path);
/** A read that must not be older than what this tab has seen (see `seenPosition`). */
const getFresh = <T>(path: string) => request<T>('GET', path, undefined, freshness());

export async function me(): Promise<Person> {
  return (await get<Schemas['MeResponse']>('/api/me')).data.user;
}

/** Whether our account is suspended now, as `GET /api/me` says (null: it is not). */
export async function mySuspension(): Promise<Suspension | null> {
  const { data } = await get<Schemas['MeResponse']>('/api/me');
  return data.suspended ?? null;
}

export async function devUsers(): Promise<DevUser[]> {
  return (await get<Schemas['DevUsers']>('/api/dev/users')).data.users;
}

export async function devLogin(email: string): Promise<Person> {
  const body: Schemas['DevLoginRequest'] = { email };
  return (await request<Schemas['MeResponse']>('POST', '/api/dev/login', body)).data.user;
}

/**
 * `GET /api/auth/config` (no session needed): whether signing in with the school's account is
 * configured (`oidc`), and whether the demo's user picker (`/api/dev/users`, `/api/dev/login`)
 * is there (`dev_login`).
 */
export type AuthConfig = Schemas['AuthConfig'];

/** Whether `value` is an `AuthConfig` (an older server answers 404, or anything). */
export function isAuthConfig(value: unknown): value is AuthConfig {
  if (typeof value !== 'object' || value === null) return false;
  // Keyed by the schema's fields: one renamed in the document no longer compiles here.
  const config = value as Partial<Record<keyof AuthConfig, unknown>>;
  return typeof config.oidc === 'boolean' && typeof config.dev_login === 'boolean';
}

/** How one may sign in on this server; rejects when the server does not say (an older one). */
export async function authConfig(): Promise<AuthConfig> {
  const { data } = await get<unknown>('/api/auth/config');
  if (!isAuthConfig(data)) throw new Error('the server does not describe its sign-in (GET /api/auth/config)');
  return data;
}

/**
 * `POST /api/logout`'s 200 answer: the session came from the school's provider, which has a
 * session of its own, ended at `end_session_url` (whose page comes back to the chat's root).
 */
export type LogoutResponse = Schemas['LogoutResponse'];

/** The provider's address to sign out at, from a logout answer: an absolute http(s) URL, else null. */
export function endSessionUrlOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const url = (body as Partial<Record<keyof LogoutResponse, unknown>>).end_session_url;
  if (typeof url !== 'string') return null;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * Ends our session. Answers null when that is all (204), or the school provider's address to
 * go to (`window.location.assign`) so that it signs the person out too (200 `end_session_url`).
 */
export async function logout(): Promise<string | null> {
  const { data } = await request<LogoutResponse | undefined>('POST', '/api/logout');
  return endSessionUrlOf(data);
}

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
}

function chatQuery(query: ChatQuery): string {
  const params = new URLSearchParams();
  params.set('limit', String(query.limit ?? CHAT_PAGE_SIZE));
  if (query.cursor) params.set('cursor', query.cursor);
  if (query.q !== undefined && query.q.trim() !== '') params.set('q', query.q.trim());
  if (query.kind) params.set('kind', query.kind);
  return `?${params}`;
}

/** A page of our chats, most recent activity first. */
export async function chats(query: ChatQuery = {}): Promise<Snapshot<ChatPage<ChatSummary>>> {
  const { data, position } = await getFresh<Schemas['ChatList']>(`/api/chats${chatQuery(query)}`);
  return { data: { chats: data.chats, next_cursor: data.next_cursor ?? null }, position };
}

/** A page of every chat (admins). */
export async function adminChats(query: ChatQuery = {}): Promise<Snapshot<ChatPage<AdminChat>>> {
  const { data, position } = await getFresh<Schemas['AdminChatList']>(`/api/admin/chats${chatQuery(query)}`);
  return { data: { chats: data.chats, next_cursor: data.next_cursor ?? null }, position };
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
 * Sends a message. `idempotencyKey` names this message, not this attempt: a retry after a lost
 * answer sends the same key, and the server answers with the message the first attempt
 * created instead of creating a second one.
 */
export async function sendMessage(
  chatId: number,
  content: string,
  idempotencyKey: string,
  replyToId: number | null = null,
  attachmentIds: readonly number[] = [],
): Promise<SentMessage> {
  const headers = { 'idempotency-key': idempotencyKey };
  const body: Schemas['SendMessage'] = {
    chat_id: chatId,
    content,
    ...(replyToId === null ? {} : { reply_to_message_id: replyToId }),
    ...(attachmentIds.length === 0 ? {} : { attachment_ids: [...attachmentIds] }),
  };
  // Sent again by itself while the answer may still come (a failover): the key makes a repeat
  // of a send that did land return that message, never a second one.
  return (await retryingTransient(() => request<SentMessage>('POST', '/api/messages', body, headers))).data;
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

/**
 * Creates a group (teachers and admins): a teacher creator becomes its first member and its
 * owner; an admin creator owns it without being a member. `title`: 1–200 characters.
 */
export async function createGroup(
  title: string,
  participantIds: number[],
  context: ChatContext | null = null,
): Promise<ChatDetails> {
  const body: Schemas['NewChat'] = {
    kind: 'group',
    title,
    participant_ids: participantIds,
    ...(context === null ? {} : { context }),
  };
  return (await request<ChatDetails>('POST', '/api/chats', body)).data;
}

/** One chat with its current members (its members and admins). */
export async function chatDetails(chatId: number): Promise<ChatDetails> {
  return (await get<ChatDetails>(`/api/chats/${chatId}`)).data;
}

/** Renames a group (its owner or an admin). */
export async function renameChat(chatId: number, title: string): Promise<ChatDetails> {
  const body: Schemas['Rename'] = { title };
  return (await request<ChatDetails>('PATCH', `/api/chats/${chatId}`, body)).data;
}

/** Adds a member to a group (its owner or an admin); adding a member again is no error (200). */
export async function addParticipant(chatId: number, userId: number): Promise<ChatDetails> {
  const body: Schemas['NewMember'] = { user_id: userId };
  return (await request<ChatDetails>('POST', `/api/chats/${chatId}/participants`, body)).data;
}

/** Removes a member from a group (its owner or an admin), or leaves it (our own id). */
export async function removeParticipant(chatId: number, userId: number): Promise<void> {
  await request<void>('DELETE', `/api/chats/${chatId}/participants/${userId}`);
}

/** `scheduled` until its teacher (or an admin) marks it `completed`; a `cancelled` one never will be. */
export type LessonStatus = Schemas['LessonStatus'];

/**
 * A lesson of the school's timetable. Completing one opens its teacher's and student's chat
 * (once per pair), which reaches both as `chat_created`: the product's first principle.
 */
export type Lesson = Schemas['Lesson'];

/**
 * The caller's lessons, ordered by `scheduled_at` (at most 200): a teacher's or a student's own,
 * every lesson for an admin; only those in `status` if given.
 */
export async function lessons(status?: LessonStatus): Promise<Lesson[]> {
  const query = status ? `?${new URLSearchParams({ status })}` : '';
  return (await get<Schemas['LessonList']>(`/api/lessons${query}`)).data.lessons;
}

/**
 * Marks a lesson completed (its teacher or an admin; 403 otherwise, 409 for a cancelled one;
 * again: no change). Answers the lesson and the pair's chat, which the stream announces too.
 */
export async function completeLesson(id: number): Promise<Schemas['CompletedLesson']> {
  return (await request<Schemas['CompletedLesson']>('POST', `/api/lessons/${id}/complete`)).data;
}

/**
 * A teacher's inquiry link: visitors who open `url` (relative, `/inquiry/{token}`) ask the
 * teacher `host_id`. Once revoked (`revoked_at`), the link opens no new chat (the ones it opened go on).
 */
export type InquiryLink = Schemas['InquiryLink'];

/**
 * Creates an inquiry link: a teacher's own (`hostId` null), or, for an admin, one for the
 * teacher `hostId`. `title`: 1–200 characters.
 */
export async function createInquiryLink(
  title: string,
  context: ChatContext | null,
  hostId: number | null = null,
): Promise<InquiryLink> {
  const body: Schemas['NewLink'] = {
    title,
    ...(context === null ? {} : { context }),
    ...(hostId === null ? {} : { host_id: hostId }),
  };
  return (await request<InquiryLink>('POST', '/api/inquiry-links', body)).data;
}

/** The caller's inquiry links, newest first (a teacher's own; an admin: all). */
export async function inquiryLinks(): Promise<InquiryLink[]> {
  return (await get<Schemas['InquiryLinks']>('/api/inquiry-links')).data.links;
}

/** Revokes an inquiry link; revoking twice is no error. */
export async function revokeInquiryLink(id: number): Promise<void> {
  await request<void>('DELETE', `/api/inquiry-links/${id}`);
}

/** What a visitor sees of an inquiry link before giving a name (no account needed; 404: unknown or revoked). */
export type InquiryInfo = Schemas['InquiryInfo'];

export async function inquiryInfo(token: string): Promise<InquiryInfo> {
  return (await get<InquiryInfo>(`/api/inquiry/${encodeURIComponent(token)}`)).data;
}

/**
 * Opens an inquiry as a visitor named `name` (1–100 characters) asking `message` (a message's
 * rules: 1–10000 characters, not blank): the server creates a guest, their chat with the
 * link's teacher and the question as its first message (the guest's), and sets the guest's
 * credential in its own HttpOnly cookie, by which every later request of this browser is the
 * guest's. 404: the link is unknown or revoked; 400: a field is not right.
 */
export async function openInquiry(
  token: string,
  visitor: Schemas['Visitor'],
): Promise<Omit<Schemas['Opened'], 'token'>> {
  const body: Schemas['Visitor'] = { name: visitor.name, message: visitor.message };
  const { data } = await request<Schemas['Opened']>('POST', `/api/inquiry/${encodeURIComponent(token)}`, body);
  // The token is the cookie's value; the page does not keep it.
  return { chat_id: data.chat_id, user: data.user };
}

/** Where an attachment's bytes are (members of its chat and admins; cookie auth, so `<img>` and links work). */
export function attachmentUrl(id: number): string {
  return `/api/attachments/${id}`;
}

/** An upload under way: its answer, and a way to stop it (the answer then rejects with an `AbortError`). */
export interface UploadHandle {
  done: Promise<Attachment>;
  abort: () => void;
}

/**
 * Uploads one file to a chat (`multipart/form-data`, one part `file`, its name kept) for a
 * message still to be sent. Through XMLHttpRequest rather than `fetch`, for its upload
 * progress: `onProgress(sent, total)` as the bytes go out. Errors as with `request`: the
 * server's `{"error"}` as an ApiError (413 too large, 429 over the daily quota), a network
 * failure as a TypeError (`errorText` says the server cannot be reached).
 */
export function uploadAttachment(
  chatId: number,
  file: File,
  onProgress: (sent: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', `/api/chats/${chatId}/attachments`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        parsed = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && isAttachment(parsed)) {
        resolve(parsed);
        return;
      }
      reject(refusal(xhr.status, parsed, xhr.statusText));
    };
    xhr.onerror = () => reject(new TypeError('upload failed'));
    xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** Whether `value` is an attachment as the server describes one. */
export function isAttachment(value: unknown): value is Attachment {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  return (
    int(a.id) &&
    typeof a.name === 'string' &&
    typeof a.content_type === 'string' &&
    int(a.size) &&
    typeof a.sha256 === 'string' &&
    (a.width === undefined || a.width === null || int(a.width)) &&
    (a.height === undefined || a.height === null || int(a.height))
  );
}
