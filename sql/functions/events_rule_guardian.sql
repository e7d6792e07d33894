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
    IF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin may link or unlink a guardian' USING ERRCODE = 'insufficient_privilege';
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
    e.payload := jsonb_build_object('guardian_id', guardian, 'student_id', student);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_guardian(e events) IS 'guardian_linked, guardian_unlinked: an admin, of a guardian (users.role guardian) to a student; linking a pair linked already, unlinking one that is not linked: no-ops. In Rust: access::Admin in api::guardians.';

REVOKE ALL ON FUNCTION events_rule_guardian(e events) FROM PUBLIC;
