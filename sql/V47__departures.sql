-- Departures: a teacher who leaves the school hands their direct chats to a successor, as an
-- event of the log by an admin (chat_handed_over: the chat's teacher becomes the successor,
-- who inherits the departed teacher's membership, so reads the whole history; the departed
-- teacher's membership ends there). The read models it changes are chats.teacher_id,
-- chat_participants and chat_memberships: no table of its own. A departed teacher's chat that
-- nobody took over is read-only (events_rule_message_created, events_after_insert: HINT
-- teacher_departed), derived from users.deactivated_at (V45), never stored per chat.
--
-- The type list is the whole of V41's, the people's event types of V45 and chat_handed_over.

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared', 'closure_requested', 'closure_declined', 'chat_muted', 'chat_unmuted',
    'chat_archived', 'chat_unarchived', 'reaction_added', 'reaction_removed', 'message_pinned', 'message_unpinned',
    'user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated', 'chat_handed_over'));

-- A direct chat whose teacher left the school (deactivated) says so in its header (the
-- student's notice; read-only until an admin hands it over), derived, never stored: the same
-- columns as V44's view, then teacher_departed.
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
           SELECT 1 FROM users t WHERE t.id = c.teacher_id AND t.deactivated_at IS NOT NULL) AS teacher_departed
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under GUARDIAN_GROUPS=own_messages, a group member''s, their child''s own messages), announcement and audience as chats has them, subjects the subjects of a direct chat''s pair''s lessons (not cancelled), the most recent first (empty for other chats), teacher_departed whether a direct chat''s teacher is deactivated (read-only until handed over: chat_handed_over).';
