-- A direct chat's header also carries its pair (student_id, teacher_id, as chats has them; NULL
-- for groups and inquiries). A participant's chat list names the other participant of a direct
-- chat from them: one lookup of that person (their name, role and whether they left) per chat,
-- from which it also derives teacher_departed and whether a teacher files the chat with the
-- archived ones. It used to look up the other participant's membership, then the person, and
-- the teacher and the student again for teacher_departed and student_departed: four lookups
-- where one does. The same columns as V49's view, then student_id and teacher_id.
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
       c.kind = 'direct' AND EXISTS (
           SELECT 1 FROM users t WHERE t.id = c.teacher_id AND t.deactivated_at IS NOT NULL) AS teacher_departed,
       c.kind = 'direct' AND EXISTS (
           SELECT 1 FROM users s WHERE s.id = c.student_id AND s.deactivated_at IS NOT NULL) AS student_departed,
       c.student_id, c.teacher_id
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under GUARDIAN_GROUPS=own_messages, a group member''s, their child''s own messages), announcement and audience as chats has them, subjects the subjects of a direct chat''s pair''s lessons (not cancelled), the most recent first (empty for other chats), teacher_departed whether a direct chat''s teacher is deactivated (read-only until handed over: chat_handed_over), student_departed whether its student is (the teacher''s chat list files it with the archived ones), student_id and teacher_id a direct chat''s pair (NULL for other chats).';
