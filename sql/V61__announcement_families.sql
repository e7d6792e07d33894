-- Announcements that reach families: a teacher's announcement goes to its students (as
-- before), their guardians, or both (chats.recipients). A guardian it reaches is its member
-- (chat_participants.role guardian), one per family whatever the number of their children in
-- it, and reads as its other members do; they join and leave by the log's events as their
-- links to its students begin and end (announcement_families). chat_headers gains the column
-- at its end.

ALTER TABLE chats ADD COLUMN recipients text;
ALTER TABLE chats ADD CONSTRAINT chats_recipients CHECK (
    recipients IN ('students', 'guardians', 'both') AND announcement OR recipients IS NULL);

COMMENT ON COLUMN chats.recipients IS 'Whom an announcement reaches: students (NULL: as before this column), guardians (the guardians of the students it is for, not the students), or both; NULL for every chat that is no announcement, set by its chat_created and never changed.';

UPDATE chats SET recipients = 'students' WHERE announcement;

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
       ELSE '{}'::text[] END AS subjects,
       c.kind IN ('direct', 'family') AND EXISTS (
           SELECT 1 FROM users t WHERE t.id = c.teacher_id AND t.deactivated_at IS NOT NULL) AS teacher_departed,
       c.kind = 'direct' AND EXISTS (
           SELECT 1 FROM users s WHERE s.id = c.student_id AND s.deactivated_at IS NOT NULL) AS student_departed,
       c.student_id, c.teacher_id, c.guardian_id,
       CASE WHEN c.kind = 'family' THEN ARRAY(
           SELECT s.name FROM family_children f JOIN users s ON s.id = f.student_id
           WHERE f.guardian_id = c.guardian_id AND f.teacher_id = c.teacher_id ORDER BY s.name, s.id)
       ELSE '{}'::text[] END AS children,
       c.recipients
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under GUARDIAN_GROUPS=own_messages, a group member''s, their child''s own messages), announcement, audience and recipients as chats has them, subjects the subjects of a direct chat''s pair''s lessons (not cancelled), the most recent first (empty for other chats), teacher_departed whether a direct or a family chat''s teacher is deactivated (read-only until handed over: chat_handed_over), student_departed whether a direct chat''s student is (the teacher''s chat list files it with the archived ones), student_id and teacher_id a direct chat''s pair (NULL for other chats; a family chat''s teacher), guardian_id a family chat''s guardian, children the names of the children a family chat concerns now (family_children; none: it is read-only; empty for other kinds).';
