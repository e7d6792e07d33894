CREATE OR REPLACE FUNCTION events_require_participant(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = e.chat_id AND user_id = e.actor_id) THEN
        RAISE EXCEPTION 'user % is not a participant of chat %', e.actor_id, e.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

COMMENT ON FUNCTION events_require_participant(e events) IS 'The rule of message_created, message_deleted, message_edited, chat_read and message_reported: their actor is a current participant of the chat. In Rust: access::check_access (and access::Writer), which the log checks again here under its lock.';

REVOKE ALL ON FUNCTION events_require_participant(e events) FROM PUBLIC;
