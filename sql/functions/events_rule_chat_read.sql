CREATE OR REPLACE FUNCTION events_rule_chat_read(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target_chat bigint;
BEGIN
    PERFORM events_require_participant(e);
    SELECT m.chat_id INTO target_chat
    FROM messages m
    WHERE m.id = CASE WHEN jsonb_typeof(e.payload -> 'up_to_message_id') = 'number'
                      THEN (e.payload ->> 'up_to_message_id')::bigint END;
    IF NOT FOUND OR target_chat <> e.chat_id THEN
        RAISE EXCEPTION 'up_to_message_id % is not a message of chat %', e.payload -> 'up_to_message_id', e.chat_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF (e.payload ->> 'up_to_message_id')::bigint <= (
        SELECT last_read_message_id FROM chat_participants
        WHERE chat_id = e.chat_id AND user_id = e.actor_id) THEN
        RETURN NULL;
    END IF;
    e.payload := jsonb_build_object('up_to_message_id', (e.payload ->> 'up_to_message_id')::bigint);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_read(e events) IS 'chat_read: a participant, up to a message of the chat; markers only move forward (an older one is a no-op), under the lock, so concurrent reads cannot reorder them. In Rust: access::Writer and access::check_access in api::read_markers::mark_read.';

REVOKE ALL ON FUNCTION events_rule_chat_read(e events) FROM PUBLIC;
