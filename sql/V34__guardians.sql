-- Guardians: a parent or carer who reads, never writes, the direct chats of the students they
-- are linked to. The link is an event of the log (guardian_linked, guardian_unlinked, by an
-- admin), so who could read which child's chats, and when, is the log's to say;
-- guardian_links is its read model, intervals of positions as chat_memberships are.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('student', 'teacher', 'admin', 'guest', 'guardian'));

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked'));
-- A guardian's link is about two people, not a chat.
ALTER TABLE events DROP CONSTRAINT events_scope;
ALTER TABLE events ADD CONSTRAINT events_scope CHECK ((chat_id IS NULL) = (type IN (
    'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked',
    'guardian_unlinked')));

CREATE TABLE guardian_links (
    guardian_id   bigint NOT NULL REFERENCES users (id),
    student_id    bigint NOT NULL REFERENCES users (id),
    from_position bigint NOT NULL,
    to_position   bigint,
    PRIMARY KEY (guardian_id, student_id, from_position),
    CHECK (to_position IS NULL OR to_position > from_position)
);

COMMENT ON TABLE guardian_links IS 'Which guardian may read which student''s direct chats, from the guardian_linked event at from_position until the guardian_unlinked one at to_position (NULL: linked now). Kept from the log by events_apply; a guardian reads the chats of the links open now, from from_position on (as a group member reads from joining).';

-- One open link per pair; a student's guardians now (the hub's start, the chat header).
CREATE UNIQUE INDEX guardian_links_open ON guardian_links (guardian_id, student_id) WHERE to_position IS NULL;
CREATE INDEX guardian_links_student ON guardian_links (student_id) WHERE to_position IS NULL;

GRANT SELECT ON guardian_links TO tutorchat_app;

-- The chat header says whether guardians of its student can read it (a direct chat whose
-- student has a guardian linked now): the teacher and the child see it.
CREATE OR REPLACE VIEW chat_headers AS
SELECT c.id, c.created_at, c.kind, c.title, c.context, c.created_by, c.active_at AS updated_at, c.closed_at,
       CASE WHEN c.kind <> 'group' THEN 2
            ELSE (SELECT count(*) FROM chat_participants n WHERE n.chat_id = c.id) END AS participants_count,
       c.active_position, c.last_message_id, c.message_count,
       c.kind = 'direct' AND EXISTS (
           SELECT 1 FROM guardian_links g WHERE g.student_id = c.student_id AND g.to_position IS NULL
       ) AS guardians_read
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian of its student can read it now.';

-- The audit's question "which guardians could read this child's chats then"
-- (audit_chat_members_at) reads the links' events by student.
CREATE INDEX events_guardian_links ON events (((payload ->> 'student_id')::bigint), position)
    WHERE type IN ('guardian_linked', 'guardian_unlinked');
