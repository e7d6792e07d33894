CREATE OR REPLACE FUNCTION events_rule_message_deleted(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target messages;
BEGIN
    PERFORM events_require_participant(e);
    target := events_target_message(e);
    PERFORM events_require_author(e, target);
    IF target.is_deleted THEN
        RETURN NULL;  -- deleting twice is a no-op: no second event
    END IF;
    e.payload := jsonb_build_object('message_id', (e.payload ->> 'message_id')::bigint);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_message_deleted(e events) IS 'message_deleted: the author, a participant, in a chat that is not closed; deleting again is a no-op. Soft: the row stays, marked deleted. In Rust: access::Writer and the author check in api::messages::remove.';

REVOKE ALL ON FUNCTION events_rule_message_deleted(e events) FROM PUBLIC;
