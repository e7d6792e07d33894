CREATE OR REPLACE FUNCTION events_rule_person(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    person record;
BEGIN
    PERFORM events_user_rule(e, (SELECT u.role FROM users u WHERE u.id = e.actor_id));
    SELECT u.suspended_until > e.created_at AS suspended, u.erasure_requested_at IS NOT NULL AS erasing,
           u.erased_at IS NOT NULL AS erased INTO person
    FROM users u WHERE u.id = (e.payload ->> 'user_id')::bigint;
    CASE e.type
    WHEN 'user_suspended' THEN
        e.payload := jsonb_build_object('user_id', (e.payload ->> 'user_id')::bigint,
                                        'reason', e.payload ->> 'reason', 'until', e.payload -> 'until');
    WHEN 'user_unsuspended' THEN
        IF NOT coalesce(person.suspended, false) THEN
            RETURN NULL;  -- not suspended: nothing happened
        END IF;
        e.payload := jsonb_build_object('user_id', (e.payload ->> 'user_id')::bigint);
    WHEN 'user_erasure_requested' THEN
        IF person.erasing THEN
            RETURN NULL;  -- asked already: the erasure is under way or done
        END IF;
        e.payload := jsonb_build_object('user_id', (e.payload ->> 'user_id')::bigint,
                                        'reason', e.payload ->> 'reason');
    ELSE
        IF person.erased THEN
            RETURN NULL;
        END IF;
        IF NOT person.erasing OR EXISTS (
            SELECT 1 FROM messages m WHERE m.sender_id = (e.payload ->> 'user_id')::bigint AND m.purged_at IS NULL) THEN
            RAISE EXCEPTION 'user % is erased only once their erasure was asked for and every message of theirs purged',
                e.payload ->> 'user_id' USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        e.payload := jsonb_build_object('user_id', (e.payload ->> 'user_id')::bigint);
    END CASE;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_person(e events) IS 'user_suspended, user_unsuspended, user_erasure_requested, user_erased: an admin, about anyone but an admin (events_user_rule); unsuspending someone not suspended, asking twice for an erasure, erasing twice: no-ops; user_erased only once every message of theirs is purged. In Rust: access::Admin in api::moderation::people.';

REVOKE ALL ON FUNCTION events_rule_person(e events) FROM PUBLIC;
