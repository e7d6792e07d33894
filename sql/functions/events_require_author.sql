CREATE OR REPLACE FUNCTION events_require_author(e events, target messages) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF target.sender_id IS DISTINCT FROM e.actor_id THEN
        RAISE EXCEPTION 'only the author may % message %',
            CASE e.type WHEN 'message_deleted' THEN 'delete' ELSE 'edit' END, e.payload -> 'message_id'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (SELECT closed_at FROM chats WHERE id = e.chat_id) IS NOT NULL THEN
        RAISE EXCEPTION 'chat % is closed: it is read-only', e.chat_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$$;

COMMENT ON FUNCTION events_require_author(e events, target messages) IS 'The rule of message_deleted and message_edited: by the message''s author, in a chat that is not closed (a closed chat is read-only for its messages too).';

REVOKE ALL ON FUNCTION events_require_author(e events, target messages) FROM PUBLIC;
