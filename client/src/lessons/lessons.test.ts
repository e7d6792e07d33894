import { describe, expect, it } from 'vitest';

import type { Lesson } from '../api';
import { i18n } from '../i18n';
import { type LessonsAction, type LessonsState, canComplete, lessonWith, lessonsReducer, noLessons } from './lessons';

const en = i18n.getFixedT('en');
const ru = i18n.getFixedT('ru');

const ivan = { id: 2, role: 'teacher' as const };
const otherTeacher = { id: 5, role: 'teacher' as const };
const alex = { id: 3, role: 'student' as const };
const admin = { id: 9, role: 'admin' as const };

function lesson(id: number, patch: Partial<Lesson> = {}): Lesson {
  return {
    id,
    teacher_id: ivan.id,
    student_id: alex.id,
    status: 'scheduled',
    scheduled_at: `2025-01-17T1${id}:00:00Z`,
    completed_at: null,
    teacher_name: 'Иван Петров',
    student_name: 'Alex Kim',
    subject: 'Алгебра',
    ...patch,
  };
}

const run = (actions: LessonsAction[], start: LessonsState = noLessons) => actions.reduce(lessonsReducer, start);
const listed = run([{ type: 'loaded', lessons: [lesson(1), lesson(2)] }]);

describe('the lessons panel', () => {
  it('loads the scheduled lessons, and says why when it cannot', () => {
    expect(listed).toMatchObject({ status: 'ready', completing: null, error: null });
    expect(listed.lessons.map((l) => l.id)).toEqual([1, 2]);
    const failed = run([{ type: 'loadFailed', error: 'Cannot reach the server.' }]);
    expect(failed).toMatchObject({ status: 'failed', loadError: 'Cannot reach the server.' });
    expect(run([{ type: 'requested' }], failed)).toMatchObject({ status: 'loading', loadError: null });
  });

  it('marks a lesson completed with the chat it opened, and keeps it on the panel', () => {
    const done = lesson(1, { status: 'completed', completed_at: '2025-01-17T12:00:00Z' });
    const state = run(
      [
        { type: 'completeRequested', lessonId: 1 },
        { type: 'completed', lesson: done, chatId: 44 },
      ],
      listed,
    );
    expect(state.completing).toBeNull();
    expect(state.lessons.map((l) => [l.id, l.status])).toEqual([
      [1, 'completed'],
      [2, 'scheduled'],
    ]);
    expect(state.chats).toEqual({ 1: 44 });
  });

  it('completes one lesson at a time', () => {
    const state = run(
      [
        { type: 'completeRequested', lessonId: 1 },
        { type: 'completeRequested', lessonId: 2 },
      ],
      listed,
    );
    expect(state.completing).toBe(1);
  });

  it('shows why a completion was refused, and clears it on the next attempt', () => {
    const refused = run(
      [
        { type: 'completeRequested', lessonId: 2 },
        { type: 'completeFailed', lessonId: 2, error: 'lesson 2 was cancelled and cannot be completed' },
      ],
      listed,
    );
    expect(refused).toMatchObject({
      completing: null,
      error: 'lesson 2 was cancelled and cannot be completed',
      chats: {},
    });
    expect(refused.lessons[1]!.status).toBe('scheduled');
    expect(run([{ type: 'completeRequested', lessonId: 1 }], refused)).toMatchObject({ completing: 1, error: null });
  });

  it('lets the lesson’s teacher or an admin complete a scheduled lesson, and nobody else', () => {
    expect(canComplete(lesson(1), ivan)).toBe(true);
    expect(canComplete(lesson(1), admin)).toBe(true);
    expect(canComplete(lesson(1), otherTeacher)).toBe(false);
    expect(canComplete(lesson(1), alex)).toBe(false);
    expect(canComplete(lesson(1, { status: 'cancelled' }), ivan)).toBe(false);
    expect(canComplete(lesson(1, { status: 'completed' }), admin)).toBe(false);
  });

  it('names the other person of a lesson, both for an admin, in English and Russian', () => {
    expect(lessonWith(lesson(1), ivan, en)).toBe('Student: Alex Kim');
    expect(lessonWith(lesson(1), alex, en)).toBe('Teacher: Иван Петров');
    expect(lessonWith(lesson(1), admin, en)).toBe('Иван Петров → Alex Kim');
    expect(lessonWith(lesson(1), ivan, ru)).toBe('Ученик: Alex Kim');
    expect(lessonWith(lesson(1), alex, ru)).toBe('Преподаватель: Иван Петров');
  });
});
