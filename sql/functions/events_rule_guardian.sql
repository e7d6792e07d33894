CREATE OR REPLACE FUNCTION events_rule_guardian(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    guardian bigint := CASE WHEN jsonb_typeof(e.payload -> 'guardian_id') = 'number'
                            THEN (e.payload ->> 'guardian_id')::bigint END;
    student bigint := CASE WHEN jsonb_typeof(e.payload -> 'student_id') = 'number'
                           THEN (e.payload ->> 'student_id')::bigint END;
    linked boolean;
BEGIN
    IF e.actor_id IS NULL THEN
        -- A provisioning client (SCIM), named in the payload.
        IF jsonb_typeof(e.payload -> 'client') IS DISTINCT FROM 'string'
           OR char_length(e.payload ->> 'client') NOT BETWEEN 1 AND 63 THEN
            RAISE EXCEPTION 'a guardian link without an actor names its provisioning client'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin or a provisioning client may link or unlink a guardian'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = guardian AND u.role = 'guardian') THEN
        RAISE EXCEPTION 'user % is not a guardian', coalesce(e.payload -> 'guardian_id', 'null')
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = student AND u.role = 'student') THEN
        RAISE EXCEPTION 'user % is not a student', coalesce(e.payload -> 'student_id', 'null')
            USING ERRCODE = 'no_data_found';
    END IF;
    linked := EXISTS (SELECT 1 FROM guardian_links g
                      WHERE g.guardian_id = guardian AND g.student_id = student AND g.to_position IS NULL);
    IF linked = (e.type = 'guardian_linked') THEN
        RETURN NULL;  -- linked already, or not linked: nothing happened
    END IF;
    e.payload := jsonb_build_object('guardian_id', guardian, 'student_id', student)
                 || CASE WHEN e.actor_id IS NULL THEN jsonb_build_object('client', e.payload ->> 'client') ELSE '{}' END;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_guardian(e events) IS 'guardian_linked, guardian_unlinked: an admin, or a provisioning client (no actor, its name in the payload''s client: SCIM), of a guardian (users.role guardian) to a student; linking a pair linked already, unlinking one that is not linked: no-ops. In Rust: access::Admin in api::guardians, access::ScimClient in scim.';

REVOKE ALL ON FUNCTION events_rule_guardian(e events) FROM PUBLIC;
