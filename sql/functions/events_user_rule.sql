CREATE OR REPLACE FUNCTION events_user_rule(e events, actor_role text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target record;
BEGIN
    IF actor_role IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin may suspend, unsuspend or erase a person' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT u.id, u.role, u.erased_at INTO target FROM users u
    WHERE u.id = CASE WHEN jsonb_typeof(e.payload -> 'user_id') = 'number' THEN (e.payload ->> 'user_id')::bigint END;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % does not exist', e.payload -> 'user_id' USING ERRCODE = 'no_data_found';
    END IF;
    IF target.role = 'admin' THEN
        RAISE EXCEPTION 'user % is an admin: admins are neither suspended nor erased here', target.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF e.type = 'user_suspended' THEN
        IF target.erased_at IS NOT NULL THEN
            RAISE EXCEPTION 'user % is erased', target.id USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF NOT moderation_reason_valid(e.payload -> 'reason') THEN
            RAISE EXCEPTION 'a suspension needs a reason of 1 to 500 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        IF coalesce(jsonb_typeof(e.payload -> 'until'), 'null') NOT IN ('null', 'string')
           OR (e.payload ->> 'until')::timestamptz <= e.created_at THEN
            RAISE EXCEPTION 'a suspension ends (until) in the future, or never (null)' USING ERRCODE = 'check_violation';
        END IF;
    ELSIF e.type = 'user_erasure_requested' AND NOT moderation_reason_valid(e.payload -> 'reason') THEN
        RAISE EXCEPTION 'an erasure needs a reason of 1 to 500 characters, not only whitespace'
            USING ERRCODE = 'check_violation';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION events_user_rule(e events, actor_role text) FROM PUBLIC;
