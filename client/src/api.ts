// The tutorchat REST API, typed. Every call goes through `request`, which sends relative,
// same-origin requests (the session is an HttpOnly cookie; the browser adds the Origin header
// the server checks on writes) and turns an `{"error": "..."}` body into a thrown ApiError.

export type Role = 'student' | 'teacher' | 'admin';

export interface Person {
  id: number;
  name: string;
  role: Role;
}

export interface DevUser extends Person {
  email: string;
}

export interface ChatSummary {
  id: number;
  participant: Person;
  last_message: { content: string; created_at: string } | null;
  unread_count: number;
}

export interface AdminChat {
  id: number;
  participants: Person[];
  messages_count: number;
  last_message_at: string | null;
}

export interface HistoryMessage {
  id: number;
  sender_id: number;
  content: string;
  is_deleted: boolean;
  created_at: string;
}

export interface SentMessage extends HistoryMessage {
  chat_id: number;
}

/** A read-model answer and the event-log position it reflects (`X-Event-Position`). */
export interface Snapshot<T> {
  data: T;
  position: number | null;
}

export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/** A message fit to show a person, whatever was thrown. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return 'Cannot reach the server. Check your connection.';
  if (error instanceof Error) return error.message;
  return String(error);
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Snapshot<T>> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json', ...headers } };
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
  if (!response.ok) {
    const message =
      typeof parsed === 'object' && parsed !== null && 'error' in parsed && typeof parsed.error === 'string'
        ? parsed.error
        : `The server answered ${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, message);
  }
  const header = response.headers.get('x-event-position');
  const position = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  return { data: parsed as T, position };
}

const get = <T>(path: string) => request<T>('GET', path);

export async function me(): Promise<Person> {
  return (await get<{ user: Person }>('/api/me')).data.user;
}

export async function devUsers(): Promise<DevUser[]> {
  return (await get<{ users: DevUser[] }>('/api/dev/users')).data.users;
}

export async function devLogin(email: string): Promise<Person> {
  return (await request<{ user: Person }>('POST', '/api/dev/login', { email })).data.user;
}

export async function logout(): Promise<void> {
  await request<void>('POST', '/api/logout');
}

export async function chats(): Promise<Snapshot<ChatSummary[]>> {
  const { data, position } = await get<{ chats: ChatSummary[] }>('/api/chats');
  return { data: data.chats, position };
}

export async function adminChats(): Promise<Snapshot<AdminChat[]>> {
  const { data, position } = await get<{ chats: AdminChat[] }>('/api/admin/chats');
  return { data: data.chats, position };
}

export const PAGE_SIZE = 50;

export async function messages(
  chatId: number,
  beforeId?: number,
): Promise<Snapshot<{ messages: HistoryMessage[]; has_more: boolean }>> {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (beforeId !== undefined) query.set('before_id', String(beforeId));
  return get(`/api/chats/${chatId}/messages?${query}`);
}

/**
 * Sends a message. `idempotencyKey` names this message, not this attempt: a retry after a lost
 * answer sends the same key, and the server answers with the message the first attempt
 * created instead of creating a second one.
 */
export async function sendMessage(chatId: number, content: string, idempotencyKey: string): Promise<SentMessage> {
  const headers = { 'idempotency-key': idempotencyKey };
  return (await request<SentMessage>('POST', '/api/messages', { chat_id: chatId, content }, headers)).data;
}

export async function deleteMessage(id: number): Promise<void> {
  await request<{ success: boolean }>('DELETE', `/api/messages/${id}`);
}
