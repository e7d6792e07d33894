CREATE OR REPLACE FUNCTION events_rule_participant_removed(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    PERFORM events_require_group_manager(e);
    IF NOT EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = e.chat_id
                   AND user_id = CASE WHEN jsonb_typeof(e.payload -> 'user_id') = 'number'
                                      THEN (e.payload ->> 'user_id')::bigint END) THEN
        RETURN NULL;  -- not a member (any more): nothing happened
    END IF;
    e.payload := jsonb_build_object('user_id', (e.payload ->> 'user_id')::bigint);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_participant_removed(e events) IS 'participant_removed: a group''s owner or an admin removes a member, or a member removes themself (leaves) (events_require_group_manager); removing a non-member is a no-op. In Rust: access::group_manager (or access::check_access for leaving) in api::groups::remove.';

REVOKE ALL ON FUNCTION events_rule_participant_removed(e events) FROM PUBLIC;
