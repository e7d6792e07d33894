CREATE OR REPLACE FUNCTION events_rule_chat_closed(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF e.actor_id IS NOT NULL OR (SELECT kind FROM chats WHERE id = e.chat_id) IS DISTINCT FROM 'inquiry' THEN
        RAISE EXCEPTION 'only the system closes inquiry chats' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (SELECT closed_at FROM chats WHERE id = e.chat_id) IS NOT NULL THEN
        RETURN NULL;  -- closed already
    END IF;
    e.payload := jsonb_build_object('reason', coalesce(e.payload ->> 'reason', 'idle'));
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_closed(e events) IS 'chat_closed: inquiry chats only, by the system (no actor); closing again is a no-op. It ends the guest''s session (guest_sessions). In Rust: nothing to mirror: only the replicas'' inquiry-closing job and a link''s revocation append it.';

REVOKE ALL ON FUNCTION events_rule_chat_closed(e events) FROM PUBLIC;
