CREATE OR REPLACE FUNCTION events_require_group_manager(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    chat record;
    actor_role text;
BEGIN
    SELECT c.kind, c.created_by INTO chat FROM chats c WHERE c.id = e.chat_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'chat % does not exist', e.chat_id USING ERRCODE = 'no_data_found';
    END IF;
    IF chat.kind <> 'group' THEN
        RAISE EXCEPTION 'chat % is a % chat: its members and title never change', e.chat_id, chat.kind
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The database removes a guardian whose link ended (announcement_families_leave).
    IF e.type = 'participant_removed' AND e.actor_id IS NULL AND pg_trigger_depth() >= 2
       AND EXISTS (SELECT 1 FROM users u WHERE u.role = 'guardian'
                   AND u.id = CASE WHEN jsonb_typeof(e.payload -> 'user_id') = 'number'
                                   THEN (e.payload ->> 'user_id')::bigint END) THEN
        RETURN;
    END IF;
    SELECT u.role INTO actor_role FROM users u WHERE u.id = e.actor_id;
    IF NOT (actor_role = 'admin' OR e.actor_id = chat.created_by)
       AND NOT (e.type = 'participant_removed' AND e.payload -> 'user_id' = to_jsonb(e.actor_id)) THEN
        RAISE EXCEPTION 'only the owner of group % or an admin may do this', e.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

COMMENT ON FUNCTION events_require_group_manager(e events) IS 'The rule of participant_added, participant_removed and chat_renamed: of a group, by its owner (who may also add themself back after leaving) or an admin; a member may remove themself (leave); the database (no actor, trigger depth 2 or more) removes a guardian whose link ended (announcement_families_leave).';

REVOKE ALL ON FUNCTION events_require_group_manager(e events) FROM PUBLIC;
