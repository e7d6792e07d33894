// Inquiry links: a teacher's (or an admin's for a teacher) links, and the visitor's two
// endpoints (what a link is, and opening an inquiry as a guest).

import { get, request } from './request';
import type { ChatContext, Schemas } from './types';

/**
 * A teacher's inquiry link: visitors who open `url` (relative, `/inquiry/{token}`) ask the
 * teacher `host_id`. Once revoked (`revoked_at`), the link opens no new chat (the ones it opened go on).
 */
export type InquiryLink = Schemas['InquiryLink'];

/**
 * Creates an inquiry link: a teacher's own (`hostId` null), or, for an admin, one for the
 * teacher `hostId`. `title`: 1–200 characters. `listed`: the school's marketplace lists it (its
 * pages then open chats through it by its id, without the token).
 */
export async function createInquiryLink(
  title: string,
  context: ChatContext | null,
  hostId: number | null = null,
  listed = false,
): Promise<InquiryLink> {
  const body: Schemas['NewLink'] = {
    title,
    listed,
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
