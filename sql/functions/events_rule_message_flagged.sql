CREATE OR REPLACE FUNCTION events_rule_message_flagged(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target messages;
BEGIN
    IF e.actor_id IS NOT NULL THEN
        RAISE EXCEPTION 'only the system flags a message (people report it)' USING ERRCODE = 'insufficient_privilege';
    END IF;
    target := events_target_message(e);
    IF NOT moderation_reason_valid(e.payload -> 'flag') THEN
        RAISE EXCEPTION 'a flag names its cause in 1 to 500 characters' USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM reports r WHERE r.message_id = target.id AND r.flag = e.payload ->> 'flag') THEN
        RETURN NULL;  -- flagged for this already
    END IF;
    e.payload := jsonb_build_object('message_id', target.id, 'flag', e.payload ->> 'flag');
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_message_flagged(e events) IS 'message_flagged: the system (no actor), of a message of the chat, with its cause (flag: the term of flag_terms it matched, or a burst), 1-500 characters; the same flag again: a no-op. In Rust: safeguarding::flags.';

REVOKE ALL ON FUNCTION events_rule_message_flagged(e events) FROM PUBLIC;
