-- GUARDIAN_GROUPS: what a guardian reads of their child's groups (none, or the child's own
-- messages), a school's policy. Every replica sets it at start (src/safeguarding), as it does
-- notify_settings, for what the database decides alone: a group's header (guardians_read) and
-- which guardians the push outbox writes notices for.
CREATE TABLE safeguarding_settings (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    guardian_groups text NOT NULL DEFAULT 'none' CHECK (guardian_groups IN ('none', 'own_messages'))
);
INSERT INTO safeguarding_settings DEFAULT VALUES;

COMMENT ON TABLE safeguarding_settings IS 'The school''s GUARDIAN_GROUPS policy, as the replicas set it at start (they must agree): read by the chat_headers view and the push outbox.';

GRANT SELECT ON safeguarding_settings TO tutorchat_app;
GRANT UPDATE (guardian_groups) ON safeguarding_settings TO tutorchat_app;

-- A guardian's notice about their child's group counts and previews only the child's messages.
ALTER TABLE notices ADD COLUMN author_id bigint;
COMMENT ON COLUMN notices.author_id IS 'A guardian''s notice about a group (GUARDIAN_GROUPS=own_messages): only this student''s messages count and show; NULL for every other notice.';

-- The header says whether guardians read the chat: a direct chat whose student has a guardian
-- linked now, and, when guardians read their child's own messages in groups, a group with a
-- member who has one.
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
       END AS guardians_read
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under GUARDIAN_GROUPS=own_messages, a group member''s, their child''s own messages).';
