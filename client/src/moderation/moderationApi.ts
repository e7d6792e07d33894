// The requests of moderation, erasure and export, through api.ts's `request` (same origin,
// the session cookie, `{"error", "code"}` refusals as ApiError).
//
// Everyone but admins may report a message of someone else (once). Admins hide and unhide
// messages, list reports and flags (and clear them), keep the school's list of flag terms, list people, suspend and unsuspend accounts, deactivate
// those who left (and hand a departed teacher's chats to a successor) and erase a person's data. Any participant (and admins) may export a chat: a plain link the browser downloads.

import {
  type AdminUser,
  type AdminUserList,
  type ErasureStarted,
  type ExportFormat,
  type ExportLanguage,
  type FlagTerm,
  type FlagTerms,
  type Reason,
  type Schemas,
  type ReportCreated,
  type ReportList,
  type Successor,
  type SuspendRequest,
  request,
} from '../api';

/** A report's reason: 1–500 characters. */
export const MAX_REPORT_REASON_CHARS = 500;

/** Reports a message of someone else; 409 `already_reported` the second time, 422 for one's own. */
export async function reportMessage(messageId: number, reason: string): Promise<ReportCreated> {
  const body: Reason = { reason };
  return (await request<ReportCreated>('POST', `/api/messages/${messageId}/report`, body)).data;
}

/**
 * Which reports to list: the open people's reports, the open flags (the system's, what a
 * moderator looks at first), or every report and flag, open or resolved.
 */
export type ReportFilter = 'open' | 'flags' | 'all';

const FILTER_QUERY: Record<ReportFilter, Record<string, string>> = {
  open: { state: 'open', kind: 'report' },
  flags: { state: 'open', kind: 'flag' },
  all: { state: 'all' },
};

export const REPORT_PAGE_SIZE = 50;

/** A page of reports, newest first; `before`: the previous page's `next_cursor`. */
export async function adminReports(filter: ReportFilter, before: string | null = null): Promise<ReportList> {
  const query = new URLSearchParams({ ...FILTER_QUERY[filter], limit: String(REPORT_PAGE_SIZE) });
  if (before) query.set('before', before);
  const { data } = await request<ReportList>('GET', `/api/admin/reports?${query}`);
  return { reports: data.reports, next_cursor: data.next_cursor ?? null };
}

/** Resolves a report or a flag as `cleared`: a moderator found nothing to act on. */
export async function clearReport(reportId: number): Promise<void> {
  await request<void>('POST', `/api/admin/reports/${reportId}/clear`);
}

/** The school's list of terms that flag a message, oldest first. */
export async function flagTerms(): Promise<FlagTerm[]> {
  return (await request<FlagTerms>('GET', '/api/admin/flag-terms')).data.terms;
}

/** Adds a term: 409 when the list has it, 422 when it holds no word a search would match. */
export async function addFlagTerm(term: string): Promise<FlagTerm> {
  return (await request<FlagTerm>('POST', '/api/admin/flag-terms', { term })).data;
}

/** Removes a term (the flags it made stay). */
export async function removeFlagTerm(id: number): Promise<void> {
  await request<void>('DELETE', `/api/admin/flag-terms/${id}`);
}

/** Hides a message from its chat's participants (and resolves its reports). */
export async function hideMessage(messageId: number, reason: string): Promise<void> {
  const body: Reason = { reason };
  await request<void>('POST', `/api/admin/messages/${messageId}/hide`, body);
}

export async function unhideMessage(messageId: number): Promise<void> {
  await request<void>('POST', `/api/admin/messages/${messageId}/unhide`);
}

export const USER_PAGE_SIZE = 50;

/** People whose name or email contains `q` (everyone, blank). */
export async function adminUsers(q: string): Promise<AdminUser[]> {
  const query = new URLSearchParams({ limit: String(USER_PAGE_SIZE) });
  if (q.trim() !== '') query.set('q', q.trim());
  return (await request<AdminUserList>('GET', `/api/admin/users?${query}`)).data.users;
}

/** Suspends an account until `until` (RFC 3339), or indefinitely (null); admins cannot be (422). */
export async function suspendUser(userId: number, reason: string, until: string | null): Promise<void> {
  const body: SuspendRequest = { reason, ...(until === null ? {} : { until }) };
  await request<void>('POST', `/api/admin/users/${userId}/suspend`, body);
}

export async function unsuspendUser(userId: number): Promise<void> {
  await request<void>('POST', `/api/admin/users/${userId}/unsuspend`);
}

/** A person left the school (204, again: 204): they cannot sign in; nothing is deleted. Admins cannot be (422). */
export async function deactivateUser(userId: number): Promise<void> {
  await request<void>('POST', `/api/admin/users/${userId}/deactivate`);
}

export async function reactivateUser(userId: number): Promise<void> {
  await request<void>('POST', `/api/admin/users/${userId}/reactivate`);
}

/** Gives a departed teacher's direct chat, with its history, to another teacher (409 `pair_has_chat`: they have one). */
export async function handOverChat(chatId: number, teacherId: number): Promise<void> {
  const body: Successor = { teacher_id: teacherId };
  await request<unknown>('POST', `/api/admin/chats/${chatId}/hand-over`, body);
}

/** Starts erasing a person's data (202): their messages, files, name and email; they can no longer sign in. */
export async function eraseUser(userId: number, reason: string): Promise<ErasureStarted> {
  const body: Reason = { reason };
  return (await request<ErasureStarted>('POST', `/api/admin/users/${userId}/erase`, body)).data;
}

export const EXPORT_FORMATS: readonly ExportFormat[] = ['json', 'html', 'pdf'];

/** What an export may say besides its format: the chat as it was `at` (RFC 3339), in `lang`. */
export interface ExportOptions {
  at?: string | null;
  /** The UI's language (the switch may differ from the browser's `Accept-Language`, the default). */
  lang?: ExportLanguage | null;
}

/** Where a chat's export downloads from (the server answers it as an attachment). */
export function exportUrl(chatId: number, format: ExportFormat, { at = null, lang = null }: ExportOptions = {}): string {
  const query = new URLSearchParams({ format });
  if (at !== null) query.set('at', at);
  if (lang !== null) query.set('lang', lang);
  return `/api/chats/${chatId}/export?${query}`;
}

/** A page of who read `chatId` without taking part in it (an admin, a guardian), newest first. */
export async function chatAccessRecords(chatId: number, before: string | null): Promise<Schemas['AccessRecords']> {
  const query = new URLSearchParams({ chat_id: String(chatId), limit: '50' });
  if (before !== null) query.set('before', before);
  return (await request<Schemas['AccessRecords']>('GET', `/api/admin/access-records?${query}`)).data;
}
