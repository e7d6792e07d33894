CREATE OR REPLACE FUNCTION events_target_message(e events) RETURNS messages
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target messages;
BEGIN
    SELECT m.* INTO target
    FROM messages m
    WHERE m.id = CASE WHEN jsonb_typeof(e.payload -> 'message_id') = 'number'
                      THEN (e.payload ->> 'message_id')::bigint END;
    IF NOT FOUND OR target.chat_id <> e.chat_id THEN
        RAISE EXCEPTION 'message % does not exist in chat %', e.payload -> 'message_id', e.chat_id
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN target;
END
$$;

COMMENT ON FUNCTION events_target_message(e events) IS 'The message an event about one message (message_deleted, message_edited, message_reported, message_hidden, message_unhidden) names in payload.message_id, read under the log''s lock (every earlier append has committed and is visible); it must be a message of the event''s chat.';

REVOKE ALL ON FUNCTION events_target_message(e events) FROM PUBLIC;
