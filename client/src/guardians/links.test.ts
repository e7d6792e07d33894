import { describe, expect, it } from 'vitest';

import type { AdminUser, GuardianLink } from '../api';
import { candidates, isLinked } from './links';

const person = (id: number, role: AdminUser['role'], erased = false): AdminUser => ({
  id,
  name: `Person ${id}`,
  role,
  email: erased ? null : `p${id}@demo.school`,
  suspended: null,
  erasure: erased ? { requested_at: '2025-01-17T15:00:00Z', completed_at: null } : null,
  deactivated_at: null,
});

describe('the Guardians tab', () => {
  it('offers guardians and students whose accounts still work, nobody else', () => {
    const people = [person(1, 'student'), person(2, 'guardian'), person(3, 'teacher'), person(4, 'student', true), person(5, 'admin')];
    const { guardians, students } = candidates(people);
    expect(guardians.map((p) => p.id)).toEqual([2]);
    expect(students.map((p) => p.id)).toEqual([1]);
  });

  it('knows the pairs linked already', () => {
    const links: GuardianLink[] = [
      { guardian: { id: 2, name: 'Елена', role: 'guardian' }, student: { id: 1, name: 'Мария', role: 'student' }, position: 9 },
    ];
    expect(isLinked(links, 2, 1)).toBe(true);
    expect(isLinked(links, 2, 4)).toBe(false);
  });
});
