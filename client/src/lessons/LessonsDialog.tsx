import { useEffect, useReducer, useState } from 'react';

import { type Lesson, completeLesson, lessons } from '../api';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { canComplete, lessonWith, lessonsReducer, noLessons } from './lessons';
import { useSession } from '../session/SessionContext';
import { fullDateTime } from '../time';
import { useLatest } from '../useLatest';
import { FormDialog } from '../components/FormDialog';

interface Props {
  /** Opens a chat (the one a lesson completed here opened) and closes the panel. */
  onOpenChat: (chatId: number) => void;
  onClose: () => void;
}

/**
 * "Lessons" (teachers and admins): the scheduled lessons, each with "Mark completed". A lesson
 * completed opens its teacher's and student's chat: it appears in both lists through the
 * stream's `chat_created`, as it would for a lesson completed anywhere else, so nothing here
 * adds it; the row offers to open it.
 */
export function LessonsDialog({ onOpenChat, onClose }: Props) {
  const { t, locale } = useLocale();
  const { me } = useSession();
  const words = useLatest(t);
  const [state, dispatch] = useReducer(lessonsReducer, noLessons);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    dispatch({ type: 'requested' });
    lessons('scheduled').then(
      (list) => current && dispatch({ type: 'loaded', lessons: list }),
      (e: unknown) => current && dispatch({ type: 'loadFailed', error: errorText(e, words.current) }),
    );
    return () => {
      current = false;
    };
  }, [attempt, words]);

  const complete = async (lesson: Lesson) => {
    if (state.completing !== null) return;
    dispatch({ type: 'completeRequested', lessonId: lesson.id });
    try {
      const { lesson: done, chat_id: chatId } = await completeLesson(lesson.id);
      dispatch({ type: 'completed', lesson: done, chatId });
    } catch (e) {
      dispatch({ type: 'completeFailed', lessonId: lesson.id, error: errorText(e, t) });
    }
  };

  return (
    <FormDialog
      title={t('lessons.title')}
      testId="lessons-dialog"
      // A completion on its way need not hold the panel open: its chat arrives by the stream.
      busy={false}
      error={state.error}
      cancel={{ label: t('lessons.close'), testId: 'close-lessons' }}
      onClose={onClose}
    >
      <p className="muted small">{t('lessons.hint')}</p>
      {state.status === 'loading' && <p className="muted small">{t('lessons.loading')}</p>}
      {state.status === 'failed' && (
        <div role="alert">
          <p className="error">{state.loadError}</p>
          <button type="button" className="button button-quiet" onClick={() => setAttempt((n) => n + 1)}>
            {t('app.tryAgain')}
          </button>
        </div>
      )}
      {state.status === 'ready' && state.lessons.length === 0 && (
        <p className="muted small" data-testid="no-lessons">
          {t('lessons.none')}
        </p>
      )}
      {state.status === 'ready' && state.lessons.length > 0 && (
        <ul className="member-list" data-testid="lessons">
          {state.lessons.map((lesson) => {
            const chatId = state.chats[lesson.id];
            return (
              <li key={lesson.id} className="member" data-testid={`lesson-${lesson.id}`} data-status={lesson.status}>
                <span className="member-text">
                  <span className="member-name">{lessonWith(lesson, me, t)}</span>
                  {lesson.subject && (
                    <span className="muted small" data-testid={`subject-of-lesson-${lesson.id}`}>
                      {lesson.subject}
                    </span>
                  )}
                  <time className="muted small" dateTime={lesson.scheduled_at}>
                    {fullDateTime(lesson.scheduled_at, locale)}
                  </time>
                </span>
                {canComplete(lesson, me) && (
                  <button
                    type="button"
                    className="button"
                    data-testid={`complete-lesson-${lesson.id}`}
                    disabled={state.completing !== null}
                    onClick={() => void complete(lesson)}
                  >
                    {state.completing === lesson.id ? t('lessons.completing') : t('lessons.complete')}
                  </button>
                )}
                {lesson.status === 'completed' && <span className="role">{t('lessons.completed')}</span>}
                {chatId !== undefined && (
                  <button
                    type="button"
                    className="button button-quiet"
                    data-testid={`open-lesson-chat-${lesson.id}`}
                    onClick={() => onOpenChat(chatId)}
                  >
                    {t('lessons.openChat')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </FormDialog>
  );
}
