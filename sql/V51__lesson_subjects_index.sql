-- A direct chat's header lists its pair's lesson subjects (chat_headers.subjects): for each row
-- of a chat list, the pair's lessons not cancelled and with a subject, grouped by subject. Read
-- through idx_lessons_teacher_student, that visited every lesson of the pair in the table's
-- heap, a scattered page each: a pair with a lesson a week has dozens. This index holds just
-- what the header reads, in the order it groups by, so the list reads it alone (an index-only
-- scan): a pair without such lessons costs one descent, a pair with many one or two leaf pages.
-- Its predicate is the view's, word for word, so that PostgreSQL can use it.
CREATE INDEX lessons_pair_subjects ON lessons (teacher_id, student_id, subject, scheduled_at)
    WHERE subject IS NOT NULL AND status <> 'cancelled';

COMMENT ON INDEX lessons_pair_subjects IS 'A pair''s lesson subjects, not cancelled, as chat_headers.subjects reads them: an index-only scan per chat of a chat list.';
