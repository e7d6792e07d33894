// The lessons panel (teachers and admins) as a pure reducer: the scheduled lessons, and each one
// marked completed from here. Completing a lesson opens its teacher's and student's chat; the
// chat list learns it from the stream (`chat_created`, to both people), so nothing here touches
// the list: a completed lesson only stays on the panel, marked, with a way to its chat.

import type { TFunction } from 'i18next';

import type { Lesson, Person } from '../api';

export interface LessonsState {
  status: 'loading' | 'ready' | 'failed';
  /** Why the list could not be loaded. */
  loadError: string | null;
  lessons: Lesson[];
  /** The lesson whose completion is on its way (one at a time). */
  completing: number | null;
  /** Why the last completion was refused (a cancelled lesson, not ours…). */
  error: string | null;
  /** The chat each lesson completed here opened, by lesson id. */
  chats: Readonly<Record<number, number>>;
}

export type LessonsAction =
  | { type: 'requested' }
  | { type: 'loaded'; lessons: Lesson[] }
  | { type: 'loadFailed'; error: string }
  | { type: 'completeRequested'; lessonId: number }
  /** The server's answer: the lesson as it is now, and its pair's chat. */
  | { type: 'completed'; lesson: Lesson; chatId: number }
  | { type: 'completeFailed'; lessonId: number; error: string };

export const noLessons: LessonsState = {
  status: 'loading',
  loadError: null,
  lessons: [],
  completing: null,
  error: null,
  chats: {},
};

export function lessonsReducer(state: LessonsState, action: LessonsAction): LessonsState {
  switch (action.type) {
    case 'requested':
      return { ...state, status: 'loading', loadError: null };
    case 'loaded':
      return { ...state, status: 'ready', loadError: null, lessons: action.lessons };
    case 'loadFailed':
      return { ...state, status: 'failed', loadError: action.error };
    case 'completeRequested':
      if (state.completing !== null) return state;
      return { ...state, completing: action.lessonId, error: null };
    case 'completed': {
      const { lesson, chatId } = action;
      return {
        ...state,
        completing: state.completing === lesson.id ? null : state.completing,
        lessons: state.lessons.map((l) => (l.id === lesson.id ? lesson : l)),
        chats: { ...state.chats, [lesson.id]: chatId },
      };
    }
    case 'completeFailed':
      return {
        ...state,
        completing: state.completing === action.lessonId ? null : state.completing,
        error: action.error,
      };
  }
}

/** Whether `me` may mark `lesson` completed: its teacher or an admin, while it is scheduled. */
export function canComplete(lesson: Lesson, me: Pick<Person, 'id' | 'role'>): boolean {
  return lesson.status === 'scheduled' && (me.role === 'admin' || lesson.teacher_id === me.id);
}

/**
 * Who a lesson is with, as its row says, in the words of `t`: the other person ("Student: Alex
 * Kim", "Teacher: Иван Петров"); both for an admin ("Иван Петров → Alex Kim").
 */
export function lessonWith(lesson: Lesson, me: Pick<Person, 'id' | 'role'>, t: TFunction): string {
  if (me.role === 'admin') return t('lessons.pair', { teacher: lesson.teacher_name, student: lesson.student_name });
  if (lesson.teacher_id === me.id) return t('lessons.student', { name: lesson.student_name });
  return t('lessons.teacher', { name: lesson.teacher_name });
}
