CREATE OR REPLACE FUNCTION events_rule_participant_added(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    member record;
BEGIN
    PERFORM events_require_group_manager(e);
    SELECT u.id, u.role, u.deactivated_at IS NOT NULL AS departed INTO member FROM users u
    WHERE u.id = CASE WHEN jsonb_typeof(e.payload -> 'user_id') = 'number'
                      THEN (e.payload ->> 'user_id')::bigint END;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % does not exist', e.payload -> 'user_id' USING ERRCODE = 'check_violation';
    END IF;
    IF member.role = 'guardian' AND NOT EXISTS (
           SELECT 1 FROM chats c WHERE c.id = e.chat_id AND c.recipients IN ('guardians', 'both')) THEN
        RAISE EXCEPTION 'user % is a guardian: they join only an announcement that reaches families', member.id
            USING ERRCODE = 'check_violation';
    ELSIF member.role NOT IN ('student', 'teacher', 'guardian') THEN
        RAISE EXCEPTION 'user % is an admin: admins read every chat and are nobody''s members', member.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF member.departed THEN
        RAISE EXCEPTION 'user % has left the school (deactivated): they join no chat', member.id
            USING ERRCODE = 'check_violation', HINT = 'person_deactivated';
    END IF;
    IF EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = e.chat_id AND user_id = member.id) THEN
        RETURN NULL;  -- already a member: nothing happened
    END IF;
    e.payload := jsonb_build_object('user_id', member.id, 'role', member.role);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_participant_added(e events) IS 'participant_added: a group''s owner or an admin (events_require_group_manager) adds a student or a teacher, or a guardian to an announcement that reaches families (chats.recipients guardians or both) (admins are nobody''s members; whom a teacher may add: events_member_rule), never one who left the school (deactivated: HINT person_deactivated); adding a member again is a no-op. In Rust: access::group_manager in api::groups::add.';

REVOKE ALL ON FUNCTION events_rule_participant_added(e events) FROM PUBLIC;
