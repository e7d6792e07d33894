CREATE OR REPLACE FUNCTION events_require_writable(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM chats c WHERE c.id = e.chat_id AND (c.closed_at IS NOT NULL OR c.kind = 'family' AND NOT EXISTS (
                   SELECT 1 FROM family_children f WHERE f.guardian_id = c.guardian_id AND f.teacher_id = c.teacher_id))) THEN
        RAISE EXCEPTION 'chat % is closed: it is read-only', e.chat_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM chats c JOIN users t ON t.id = c.teacher_id
               WHERE c.id = e.chat_id AND t.deactivated_at IS NOT NULL) THEN
        RAISE EXCEPTION 'the teacher of chat % has left the school: it is read-only until an admin hands it over', e.chat_id
            USING ERRCODE = 'insufficient_privilege', HINT = 'teacher_departed';
    END IF;
END
$$;

COMMENT ON FUNCTION events_require_writable(e events) IS 'The one rule of every write to a chat''s messages (a message, an edit, a deletion, a reaction, a pin): the chat is not closed (closed_at), nor a family chat that concerns no child now (family_children: the link ended, the child left, the lesson chat was handed over), nor a direct chat whose teacher is deactivated (HINT teacher_departed: read-only until an admin hands it over, chat_handed_over). In Rust: access::check_access''s writable() and staffed().';

REVOKE ALL ON FUNCTION events_require_writable(e events) FROM PUBLIC;
