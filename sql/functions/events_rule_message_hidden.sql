CREATE OR REPLACE FUNCTION events_rule_message_hidden(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target messages;
BEGIN
    target := events_target_message(e);
    IF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin may hide or unhide a message' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF e.type = 'message_hidden' THEN
        IF NOT moderation_reason_valid(e.payload -> 'reason') THEN
            RAISE EXCEPTION 'hiding a message needs a reason of 1 to 500 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        IF target.hidden_at IS NOT NULL OR target.purged_at IS NOT NULL THEN
            RETURN NULL;  -- hidden already, or nothing left to hide
        END IF;
        e.payload := jsonb_build_object('message_id', target.id, 'reason', e.payload ->> 'reason');
    ELSE
        IF target.hidden_at IS NULL THEN
            RETURN NULL;  -- not hidden: nothing happened
        END IF;
        e.payload := jsonb_build_object('message_id', target.id);
    END IF;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_message_hidden(e events) IS 'message_hidden and message_unhidden: an admin, with a reason to hide; hiding a hidden or purged message, unhiding one that is not hidden: no-ops. In Rust: access::Admin in api::moderation::hide and unhide.';

REVOKE ALL ON FUNCTION events_rule_message_hidden(e events) FROM PUBLIC;
