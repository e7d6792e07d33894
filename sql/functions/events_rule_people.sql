CREATE OR REPLACE FUNCTION events_rule_people(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    client constant text := CASE WHEN jsonb_typeof(e.payload -> 'client') = 'string' THEN e.payload ->> 'client' END;
    person record;
    changed jsonb := '{}';
    attribute text;
BEGIN
    -- Who: a provisioning client (no actor, its name in the payload) or an admin.
    IF e.actor_id IS NULL THEN
        IF client IS NULL OR char_length(client) NOT BETWEEN 1 AND 63 THEN
            RAISE EXCEPTION 'a provisioning event without an actor names its client (1-63 characters)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only a provisioning client or an admin may provision, change, deactivate or reactivate a person'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- What: the attributes given are valid (a missing one is not changed).
    IF e.payload ? 'external_id' AND e.payload -> 'external_id' <> 'null'
       AND (jsonb_typeof(e.payload -> 'external_id') <> 'string'
            OR char_length(e.payload ->> 'external_id') NOT BETWEEN 1 AND 255) THEN
        RAISE EXCEPTION 'an external id is 1 to 255 characters' USING ERRCODE = 'check_violation';
    END IF;
    IF e.payload ? 'user_name' AND e.payload -> 'user_name' <> 'null'
       AND (jsonb_typeof(e.payload -> 'user_name') <> 'string'
            OR char_length(e.payload ->> 'user_name') NOT BETWEEN 1 AND 255) THEN
        RAISE EXCEPTION 'a user name is 1 to 255 characters' USING ERRCODE = 'check_violation';
    END IF;
    IF e.payload ? 'name' AND (jsonb_typeof(e.payload -> 'name') IS DISTINCT FROM 'string'
       OR char_length(e.payload ->> 'name') > 255 OR btrim(e.payload ->> 'name') = '') THEN
        RAISE EXCEPTION 'a name is 1 to 255 characters, not only whitespace' USING ERRCODE = 'check_violation';
    END IF;
    IF e.payload ? 'email' AND (jsonb_typeof(e.payload -> 'email') IS DISTINCT FROM 'string'
       OR char_length(e.payload ->> 'email') > 255 OR e.payload ->> 'email' !~ '^[^@\s]+@[^@\s]+$') THEN
        RAISE EXCEPTION 'an email is an address of at most 255 characters' USING ERRCODE = 'check_violation';
    END IF;
    IF e.payload ? 'role' AND coalesce(e.payload ->> 'role', '') NOT IN ('student', 'teacher', 'guardian', 'admin') THEN
        RAISE EXCEPTION 'a provisioned person is a student, a teacher, a guardian or an admin'
            USING ERRCODE = 'check_violation';
    END IF;
    IF e.payload ? 'email' AND EXISTS (
        SELECT 1 FROM users u WHERE lower(u.email) = lower(e.payload ->> 'email')
          AND u.id IS DISTINCT FROM CASE WHEN e.type = 'user_provisioned' THEN NULL ELSE (e.payload ->> 'user_id')::bigint END) THEN
        RAISE EXCEPTION 'another person has the email %', e.payload ->> 'email'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'users_email_key';
    END IF;

    IF e.type = 'user_provisioned' THEN
        IF NOT (e.payload ? 'name' AND e.payload ? 'email' AND e.payload ? 'role') THEN
            RAISE EXCEPTION 'a provisioned person has a name, an email and a role' USING ERRCODE = 'check_violation';
        END IF;
        e.payload := jsonb_build_object('user_id', nextval('users_id_seq'), 'external_id', e.payload -> 'external_id',
                                        'user_name', e.payload -> 'user_name',
                                        'name', e.payload ->> 'name', 'email', e.payload ->> 'email',
                                        'role', e.payload ->> 'role', 'client', client);
        RETURN e;
    END IF;

    SELECT u.id, u.external_id, u.user_name, u.name, u.email, u.role, u.deactivated_at, u.erasure_requested_at INTO person
    FROM users u
    WHERE u.id = CASE WHEN jsonb_typeof(e.payload -> 'user_id') = 'number' THEN (e.payload ->> 'user_id')::bigint END
      AND u.role <> 'guest';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(e.payload -> 'user_id', 'null') USING ERRCODE = 'no_data_found';
    END IF;
    IF person.erasure_requested_at IS NOT NULL THEN
        RAISE EXCEPTION 'user % is being erased, or was: nothing more is provisioned about them', person.id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'person_erased';
    END IF;

    CASE e.type
    WHEN 'user_changed' THEN
        FOREACH attribute IN ARRAY ARRAY['external_id', 'user_name', 'name', 'email', 'role'] LOOP
            IF e.payload ? attribute AND (e.payload ->> attribute) IS DISTINCT FROM (to_jsonb(person) ->> attribute) THEN
                changed := changed || jsonb_build_object(attribute, e.payload -> attribute);
            END IF;
        END LOOP;
        IF changed = '{}' THEN
            RETURN NULL;  -- as it is already: nothing happened
        END IF;
        -- A role is what a person's chats, lessons and links were made for: it changes only
        -- for someone who has none yet.
        IF changed ? 'role' AND (
            EXISTS (SELECT 1 FROM chat_memberships m WHERE m.user_id = person.id)
            OR EXISTS (SELECT 1 FROM chats c WHERE c.created_by = person.id)
            OR EXISTS (SELECT 1 FROM lessons l WHERE person.id IN (l.teacher_id, l.student_id))
            OR EXISTS (SELECT 1 FROM guardian_links g WHERE person.id IN (g.guardian_id, g.student_id))) THEN
            RAISE EXCEPTION 'user % is a % with chats, lessons or guardians: their role stays (%s are not made %s)',
                person.id, person.role, person.role, changed ->> 'role'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'role_in_use';
        END IF;
        e.payload := jsonb_build_object('user_id', person.id, 'client', client) || changed;
    WHEN 'user_deactivated' THEN
        IF person.deactivated_at IS NOT NULL THEN
            RETURN NULL;  -- deactivated already
        END IF;
        e.payload := jsonb_build_object('user_id', person.id, 'client', client);
    ELSE
        IF person.deactivated_at IS NULL THEN
            RETURN NULL;  -- active already
        END IF;
        e.payload := jsonb_build_object('user_id', person.id, 'client', client);
    END CASE;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_people(e events) IS 'user_provisioned, user_changed, user_deactivated, user_reactivated: by a provisioning client (no actor; payload client, its name) or an admin, about anyone but a guest or a person whose erasure was asked for. user_provisioned needs a name (1-255 characters, not blank), an email (an address, no other person''s in any case) and a role (student, teacher, guardian, admin), its external_id and user_name (SCIM''s userName) optional (1-255 characters, unique), and draws the new user_id. user_changed keeps only the attributes (external_id, user_name, name, email, role) that differ, none: a no-op; a role changes only for someone with no chat, lesson or guardian link yet (HINT role_in_use). Deactivating someone deactivated, reactivating someone active: no-ops. In Rust: crate::provisioning::people.';

REVOKE ALL ON FUNCTION events_rule_people(e events) FROM PUBLIC;
