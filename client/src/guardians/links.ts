// What the Guardians tab offers, as pure functions: whom a guardian may be linked to (the
// people of each role whose account still works), and which pairs are linked already.

import type { AdminUser, GuardianLink } from '../api';

export interface Candidates {
  guardians: AdminUser[];
  students: AdminUser[];
}

/** Guardians and students, in the order given (by name), without erased accounts. */
export function candidates(people: readonly AdminUser[]): Candidates {
  const usable = people.filter((p) => p.erasure === null);
  return {
    guardians: usable.filter((p) => p.role === 'guardian'),
    students: usable.filter((p) => p.role === 'student'),
  };
}

/** Whether `guardianId` reads `studentId`'s chats already. */
export function isLinked(links: readonly GuardianLink[], guardianId: number, studentId: number): boolean {
  return links.some((l) => l.guardian.id === guardianId && l.student.id === studentId);
}
