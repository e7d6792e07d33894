CREATE OR REPLACE FUNCTION events_rule_messages_purged(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    PERFORM events_purge_rule(e, (SELECT u.role FROM users u WHERE u.id = e.actor_id));
    e.payload := jsonb_build_object('message_ids', to_jsonb(ARRAY(
            SELECT m.id FROM messages m
            WHERE m.id IN (SELECT x::text::bigint FROM jsonb_array_elements(e.payload -> 'message_ids') x)
              AND m.purged_at IS NULL ORDER BY m.id)),
        'cause', e.payload ->> 'cause')
        || CASE e.payload ->> 'cause'
               WHEN 'retention' THEN jsonb_build_object('before', e.payload -> 'before')
               ELSE jsonb_build_object('user_id', (e.payload ->> 'user_id')::bigint) END;
    IF e.payload -> 'message_ids' = '[]' THEN
        RETURN NULL;  -- every one purged already
    END IF;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_messages_purged(e events) IS 'messages_purged: see events_purge_rule (retention by the system, erasure by an admin); the messages purged already are left out, and none left is a no-op. In Rust: the governance jobs (retention by the system, erasure on an admin''s request: access::Admin in api::moderation::people::erase).';

REVOKE ALL ON FUNCTION events_rule_messages_purged(e events) FROM PUBLIC;
