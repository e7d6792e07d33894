// An admin's requests about guardians (a parent or carer reading a student's direct chats),
// through api.ts's `request`: the links open now, linking and unlinking. Linking twice is no
// error (200 instead of 201), nor is unlinking what is not linked (204 all the same).

import { type AdminUser, type AdminUserList, type GuardianLink, type GuardianLinks, request } from '../api';

/** As many people as `GET /api/admin/users` gives at once: whom the link form offers. */
export const PEOPLE_LIMIT = 200;

/** Every link open now, by guardian, then student. */
export async function guardianLinks(): Promise<GuardianLink[]> {
  return (await request<GuardianLinks>('GET', '/api/admin/guardians')).data.links;
}

/** From now on `guardianId` reads `studentId`'s direct chats (404: not a guardian, or not a student). */
export async function linkGuardian(guardianId: number, studentId: number): Promise<void> {
  await request<void>('PUT', `/api/admin/guardians/${guardianId}/students/${studentId}`);
}

export async function unlinkGuardian(guardianId: number, studentId: number): Promise<void> {
  await request<void>('DELETE', `/api/admin/guardians/${guardianId}/students/${studentId}`);
}

/** The people the link form offers (by name), up to PEOPLE_LIMIT. */
export async function linkablePeople(): Promise<AdminUser[]> {
  const query = new URLSearchParams({ limit: String(PEOPLE_LIMIT) });
  return (await request<AdminUserList>('GET', `/api/admin/users?${query}`)).data.users;
}
