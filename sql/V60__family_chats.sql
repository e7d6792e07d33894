-- Family chats: a guardian's own chat with a teacher of their child, opened by the database
-- (chat_created {kind: family, guardian_id, teacher_id}, appended when a direct chat opens for
-- a linked child, or when a guardian is linked to a child who has direct chats already). One
-- per (guardian, teacher) pair, whatever the number of children they share; the guardian and
-- the teacher are its members and both write; the child is none.

ALTER TABLE chats ADD COLUMN guardian_id bigint REFERENCES users (id);

ALTER TABLE chats DROP CONSTRAINT chats_kind;
ALTER TABLE chats ADD CONSTRAINT chats_kind CHECK (kind IN ('direct', 'group', 'inquiry', 'family'));
ALTER TABLE chats ADD CONSTRAINT chats_family CHECK (
    (kind = 'family') = (guardian_id IS NOT NULL)
    AND (kind <> 'family' OR (teacher_id IS NOT NULL AND student_id IS NULL)));
ALTER TABLE chats ADD CONSTRAINT chats_one_per_family UNIQUE (guardian_id, teacher_id);

COMMENT ON COLUMN chats.guardian_id IS 'A family chat''s guardian (its other member is teacher_id); NULL for every other kind.';

ALTER TABLE chat_participants DROP CONSTRAINT chat_participants_role_check;
ALTER TABLE chat_participants ADD CONSTRAINT chat_participants_role_check
    CHECK (role IN ('student', 'teacher', 'guest', 'guardian'));


-- The children each family chat concerns, now: the guardian's open links to students whose
-- direct chat is with the teacher (it opened with their first completed lesson, and follows its
-- handover). A pair with one gets its family chat (family_chats_open); a family chat that
-- concerns none is read-only (the link ended, the direct chat was handed to another teacher).
CREATE VIEW family_children AS
SELECT g.guardian_id, d.teacher_id, g.student_id
FROM guardian_links g
JOIN chats d ON d.student_id = g.student_id AND d.kind = 'direct'
WHERE g.to_position IS NULL;

COMMENT ON VIEW family_children IS 'The children a family chat of (guardian_id, teacher_id) concerns now: the students the guardian is linked to (an open link) whose direct chat is with the teacher. The family chat opens for a pair with one (family_chats_open), names them in its header (chat_headers.children), and is read-only while there is none.';

GRANT SELECT ON family_children TO tutorchat_app;

-- A family chat's header: teacher_departed as a direct chat's, and the names of the children it
-- concerns now (empty for every other kind; a family chat with none is read-only). The same
-- columns as V52's view, then guardian_id and children.
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
       ELSE '{}'::text[] END AS children
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under GUARDIAN_GROUPS=own_messages, a group member''s, their child''s own messages), announcement and audience as chats has them, subjects the subjects of a direct chat''s pair''s lessons (not cancelled), the most recent first (empty for other chats), teacher_departed whether a direct or a family chat''s teacher is deactivated (read-only until handed over: chat_handed_over), student_departed whether a direct chat''s student is (the teacher''s chat list files it with the archived ones), student_id and teacher_id a direct chat''s pair (NULL for other chats; a family chat''s teacher), guardian_id a family chat''s guardian, children the names of the children a family chat concerns now (family_children; none: it is read-only; empty for other kinds).';
