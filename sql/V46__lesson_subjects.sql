-- Lessons from the school's own systems, and what they are about.
--
-- lessons stays an input of the school's timetable, not a read model of the log: a lesson's
-- row is written by the integration API (PUT /api/integrations/lessons/{external_id}), the
-- import (tutorchat import --lessons) or the demo, and what it causes is in the log (its
-- completion opens the pair's chat by lessons_create_chat's chat_created). external_id is the
-- school's id of the lesson: what its upserts find it by. subject is free text from the
-- timetable ("Математика"); rows from before it have none.
--
-- A direct chat's header lists its pair's subjects (chat_headers.subjects), derived from the
-- pair's lessons when a header is read: no event carries them, as no event carries a lesson.

ALTER TABLE lessons ADD COLUMN subject text;
ALTER TABLE lessons ADD COLUMN external_id text;
ALTER TABLE lessons ADD CONSTRAINT lessons_subject_length CHECK (subject IS NULL OR char_length(subject) BETWEEN 1 AND 200);
ALTER TABLE lessons ADD CONSTRAINT lessons_external_id_length CHECK (external_id IS NULL OR char_length(external_id) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX lessons_external_id ON lessons (external_id) WHERE external_id IS NOT NULL;

COMMENT ON COLUMN lessons.subject IS 'What the lesson is about, as the school''s timetable names it (1-200 characters); NULL for lessons from before subjects were kept.';
COMMENT ON COLUMN lessons.external_id IS 'The school''s id of the lesson (1-255 characters, unique): what the integration API and the import upsert it by. NULL for lessons made here (the demo).';

-- The integration API and the import write lessons as the application.
GRANT INSERT (teacher_id, student_id, scheduled_at, status, subject, external_id) ON lessons TO tutorchat_app;
GRANT UPDATE (teacher_id, student_id, scheduled_at, status, subject) ON lessons TO tutorchat_app;
GRANT USAGE ON SEQUENCE lessons_id_seq TO tutorchat_app;

CREATE OR REPLACE VIEW chat_headers AS
SELECT c.id, c.created_at, c.kind, c.title, c.context, c.created_by, c.active_at AS updated_at, c.closed_at,
       CASE WHEN c.kind <> 'group' THEN 2
            ELSE (SELECT count(*) FROM chat_participants n WHERE n.chat_id = c.id) END AS participants_count,
       c.active_position, c.last_message_id, c.message_count,
       CASE c.kind
           WHEN 'direct' THEN EXISTS (
               SELECT 1 FROM guardian_links g WHERE g.student_id = c.student_id AND g.to_position IS NULL)
           WHEN 'group' THEN (SELECT s.guardian_groups = 'own_messages' FROM safeguarding_settings s) AND EXISTS (
               SELECT 1 FROM chat_participants p
               JOIN guardian_links g ON g.student_id = p.user_id AND g.to_position IS NULL
               WHERE p.chat_id = c.id)
           ELSE false
       END AS guardians_read,
       c.announcement, c.audience,
       CASE WHEN c.kind = 'direct' THEN ARRAY(
           SELECT l.subject FROM lessons l
           WHERE l.student_id = c.student_id AND l.teacher_id = c.teacher_id
             AND l.subject IS NOT NULL AND l.status <> 'cancelled'
           GROUP BY l.subject ORDER BY max(l.scheduled_at) DESC, l.subject)
       ELSE '{}'::text[] END AS subjects
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under GUARDIAN_GROUPS=own_messages, a group member''s, their child''s own messages), announcement and audience as chats has them, subjects the subjects of a direct chat''s pair''s lessons (not cancelled), the most recent first (empty for other chats).';
