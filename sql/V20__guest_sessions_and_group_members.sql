-- Two rules from the security review.
--
-- 1. A guest's session lasts while their inquiry chat is open. guest_sessions says, for each
--    guest, their chat, the link that opened it and whether the session has ended (the chat
--    was closed: idle, or its link revoked, which closes the link's chats). The replicas read
--    it when they authenticate a guest and when they refresh the users of their open streams.
--
-- 2. A teacher's group takes the school's teachers and the teacher's own students (a lesson
--    together, in any state), so that adding somebody to a group cannot be used to watch any
--    student's presence. Admins may add any student or teacher. Checked by the log's trigger
--    (events_member_rule), the root every path goes through; the application gives the same
--    answer first, for every refused id alike.

CREATE VIEW guest_sessions AS
SELECT u.id AS guest_id,
       c.id AS chat_id,
       (e.payload ->> 'link_id')::bigint AS link_id,
       c.closed_at IS NOT NULL AS ended
FROM users u
JOIN chat_participants p ON p.user_id = u.id
JOIN chats c ON c.id = p.chat_id AND c.kind = 'inquiry'
JOIN events e ON e.chat_id = c.id AND e.type = 'chat_created'
WHERE u.role = 'guest';

COMMENT ON VIEW guest_sessions IS 'Each guest''s inquiry chat, the link that opened it (link_id) and
whether their session has ended: it ends when the chat is closed (idle for INQUIRY_IDLE_SECS, or
its link revoked). An ended guest''s credential is refused (401) and their streams end.';

GRANT SELECT ON guest_sessions TO tutorchat_app;

CREATE FUNCTION events_member_rule() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM users a WHERE a.id = NEW.actor_id AND a.role = 'teacher')
       AND NEW.actor_id IS DISTINCT FROM (NEW.payload ->> 'user_id')::bigint
       AND NOT EXISTS (
           SELECT 1 FROM users m
           WHERE m.id = (NEW.payload ->> 'user_id')::bigint
             AND (m.role = 'teacher'
                  OR m.role = 'student' AND EXISTS (
                      SELECT 1 FROM lessons l WHERE l.teacher_id = NEW.actor_id AND l.student_id = m.id))) THEN
        RAISE EXCEPTION 'a teacher adds to a group only teachers and their own students (a lesson together)'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION events_member_rule() IS 'participant_added, after events_before_insert
(triggers of a kind fire in name order): a teacher adds to a group only teachers and the
students they have a lesson with (scheduled, completed or cancelled); an admin adds any student
or teacher. So a teacher sees the presence only of their own students, of colleagues, and of
people in groups an admin made.';

CREATE TRIGGER events_member_rule BEFORE INSERT ON events
    FOR EACH ROW WHEN (NEW.type = 'participant_added') EXECUTE FUNCTION events_member_rule();

COMMENT ON FUNCTION events_before_insert() IS 'Each row of an append, under the log''s lock:
its position, time and (for messages) its message id, then the rules of its type. A refusal
raises with an SQLSTATE the application maps to an HTTP status; "a no-op" returns NULL, so no
event is appended and nothing is announced.

Who may append what, by type:
- chat_created: direct, only by the lesson trigger (trigger depth 2, no actor) for a completed
  lesson of a student and a teacher; one chat per pair, ever (chats_one_per_pair decides
  races). group: a teacher or an admin, with a title of 1-200 characters, not blank, and an
  optional context object. inquiry: a new guest through a live inquiry link (inquiry_open()).
- message_created: a current participant, in a chat that is not closed; content a string
  (its length is checked by the application: 1-10000 characters, or empty with
  attachments); a reply quotes a message of the same chat written since the sender joined;
  attachments are the sender''s unattached uploads to this chat (attachments_bind). A plain
  message is only numbered here: its membership and closed-chat checks and its messages row
  are done once per statement by events_after_insert.
- message_edited: the author, a participant, of a message not deleted, in a chat that is not
  closed; the same text again is a no-op. The old text stays in the log.
- message_deleted: the author, a participant, in a chat that is not closed; deleting again is
  a no-op. Soft: the row stays, marked deleted.
- chat_read: a participant, up to a message of the chat; markers only move forward (an older
  one is a no-op).
- participant_added, participant_removed, chat_renamed: groups only, by the owner or an admin;
  a member may remove themself (leave). Adding a member again, removing a non-member, the same
  title again: no-ops. Admins are nobody''s members. Whom a teacher may add: events_member_rule.
- chat_closed: inquiry chats only, by the system (no actor); closing again is a no-op. It
  ends the guest''s session (guest_sessions).';
