-- Announcements: a group in which only its owner (the teacher who created it) posts and its
-- members read. Set once, by its chat_created (payload "announcement": true), never changed.
-- "All my students" is an announcement whose audience is 'my_students': its members are the
-- students who have a completed lesson with its owner, and they follow the lessons: a lesson
-- completed later adds its student by a participant_added of the log (lessons_join_audiences),
-- so replay, audit and membership-at-a-time stay the log's.
--
-- What a message costs: an announcement keeps no unread counter per member. A member's unread
-- count is derived when it is read (chat_unread: the chat's messages after their read marker,
-- through idx_messages_chat_visible), so a message to 2,000 members writes what one to 2
-- writes. Direct chats and ordinary groups keep their counter rows (one update per other
-- member and message, none per read of the chat list).

ALTER TABLE chats ADD COLUMN announcement boolean NOT NULL DEFAULT false;
ALTER TABLE chats ADD COLUMN audience text;
ALTER TABLE chats ADD CONSTRAINT chats_audience CHECK (audience IS NULL OR (audience = 'my_students' AND announcement));

COMMENT ON COLUMN chats.announcement IS 'Only the owner (created_by, a teacher) posts; members read. Set by chat_created, never changed. Its members'' unread counts are derived (chat_unread), not kept in chat_participants.unread_count (0 there).';
COMMENT ON COLUMN chats.audience IS 'my_students: an announcement whose members follow its owner''s lessons (a student joins when a lesson with the owner is completed: lessons_join_audiences). NULL: members added by hand.';

-- A completed lesson finds its teacher's "all my students" announcements.
CREATE INDEX chats_audience ON chats (created_by) WHERE audience IS NOT NULL;

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
       c.announcement, c.audience
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under GUARDIAN_GROUPS=own_messages, a group member''s, their child''s own messages), announcement and audience as chats has them.';
