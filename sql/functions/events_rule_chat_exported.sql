CREATE OR REPLACE FUNCTION events_rule_chat_exported(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' AND NOT EXISTS (
        SELECT 1 FROM chat_participants WHERE chat_id = e.chat_id AND user_id = e.actor_id) AND NOT EXISTS (
        SELECT 1 FROM guardian_reading(e.actor_id, (SELECT p.guardian_groups = 'own_messages' FROM guardian_policy p)) r
        WHERE r.chat_id = e.chat_id) THEN
        RAISE EXCEPTION 'user % is not a participant of chat %', e.actor_id, e.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM chats WHERE id = e.chat_id) THEN
        RAISE EXCEPTION 'chat % does not exist', e.chat_id USING ERRCODE = 'no_data_found';
    END IF;
    IF e.payload ->> 'format' NOT IN ('json', 'html', 'pdf') OR jsonb_typeof(e.payload -> 'at') <> 'string' THEN
        RAISE EXCEPTION 'chat_exported needs a format (json, html or pdf) and the time it shows (at)'
            USING ERRCODE = 'check_violation';
    END IF;
    e.payload := jsonb_build_object('format', e.payload ->> 'format', 'at', e.payload -> 'at');
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_exported(e events) IS 'chat_exported: a participant, an admin, or a guardian who reads the chat (guardian_reading: linked now to the student of a direct chat, or, under GUARDIAN_GROUPS=own_messages, to a member of a group), of a chat that exists; its format (json, html or pdf) and the moment it shows (at). In Rust: access::check_read_access in api::export.';

REVOKE ALL ON FUNCTION events_rule_chat_exported(e events) FROM PUBLIC;
