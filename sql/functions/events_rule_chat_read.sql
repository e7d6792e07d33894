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
    -- The ids a client listed as read (the messenger dialect's receipts), when they are a
    -- non-empty array of integers: every stream's messages_read carries those of them that
    -- are messages of this chat up to the marker (never what a client made up). At most 100:
    -- what a request puts into the log, which every writer then waits behind and every
    -- stream carries, is bounded here whatever path it came by.
    IF jsonb_typeof(e.payload -> 'message_ids') = 'array' AND jsonb_array_length(e.payload -> 'message_ids') > 100 THEN
        RAISE EXCEPTION 'chat_read lists % message ids: at most 100', jsonb_array_length(e.payload -> 'message_ids')
            USING ERRCODE = 'check_violation';
    END IF;
    e.payload := jsonb_build_object('up_to_message_id', (e.payload ->> 'up_to_message_id')::bigint)
        || CASE WHEN jsonb_typeof(e.payload -> 'message_ids') = 'array'
                 AND jsonb_array_length(e.payload -> 'message_ids') > 0
                 AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(e.payload -> 'message_ids') x
                                 WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^-?[0-9]+$')
                THEN jsonb_build_object('message_ids', coalesce((
                    SELECT jsonb_agg(m.id ORDER BY m.id) FROM messages m
                    WHERE m.chat_id = e.chat_id AND m.id <= (e.payload ->> 'up_to_message_id')::bigint
                      AND m.id = ANY (ARRAY(SELECT x::text::numeric FROM jsonb_array_elements(e.payload -> 'message_ids') x
                                            WHERE x::text::numeric BETWEEN 1 AND 9223372036854775807)::bigint[])),
                    '[]'::jsonb))
                ELSE '{}'::jsonb END;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_read(e events) IS 'chat_read: a participant, up to a message of the chat; markers only move forward (an older one is a no-op); message_ids, the ids a client listed (at most 100), kept when they are integers, as those of them that are messages of the chat up to the marker, under the lock, so concurrent reads cannot reorder them. In Rust: access::Writer and access::check_access in api::read_markers::mark_read.';

REVOKE ALL ON FUNCTION events_rule_chat_read(e events) FROM PUBLIC;
