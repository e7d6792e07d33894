// Groups: creating one, its details with its members, renaming it, adding and removing members
// (or leaving).

import { get, request } from './request';
import type { ChatContext, ChatDetails, Schemas } from './types';

/**
 * What kind of group to create: an announcement (only its owner, a teacher, posts), and its
 * audience (`my_students`: every student with a completed lesson with them, now and later),
 * and whom an announcement reaches (its students, their guardians, or both).
 */
export interface GroupMode {
  announcement?: boolean;
  audience?: 'my_students';
  recipients?: Recipients;
}

export type Recipients = Schemas['Recipients'];
export const RECIPIENTS: readonly Recipients[] = ['students', 'guardians', 'both'];

/**
 * Creates a group (teachers and admins): a teacher creator becomes its first member and its
 * owner; an admin creator owns it without being a member. `title`: 1–200 characters. An
 * announcement is a teacher's only.
 */
export async function createGroup(
  title: string,
  participantIds: number[],
  context: ChatContext | null = null,
  mode: GroupMode = {},
): Promise<ChatDetails> {
  const body: Schemas['NewChat'] = {
    kind: 'group',
    title,
    participant_ids: participantIds,
    ...(context === null ? {} : { context }),
    ...mode,
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
