// Lessons: the caller's, and completing one (which opens the pair's chat).

import { get, request } from './request';
import type { Schemas } from './types';

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
