CREATE OR REPLACE FUNCTION events_rule_pin(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    me chat_participants;
    chat chats;
    target messages;
    pinned boolean;
    pins bigint;
    most bigint := CASE WHEN jsonb_typeof(e.payload -> 'limit') = 'number' THEN (e.payload ->> 'limit')::bigint END;
BEGIN
    SELECT * INTO chat FROM chats c WHERE c.id = e.chat_id;
    SELECT * INTO me FROM chat_participants p WHERE p.chat_id = e.chat_id AND p.user_id = e.actor_id;
    IF NOT FOUND OR me.role = 'guest' OR (chat.kind = 'group' AND chat.created_by IS DISTINCT FROM e.actor_id) THEN
        RAISE EXCEPTION 'user % may not pin messages of chat % (a group''s owner, a direct chat''s participants)',
            e.actor_id, e.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM events_require_writable(e);
    target := events_target_message(e);
    IF target.position < me.joined_position THEN
        -- Written before they joined: not theirs to see, as if it did not exist.
        RAISE EXCEPTION 'message % does not exist in chat %', target.id, e.chat_id
            USING ERRCODE = 'no_data_found';
    END IF;
    pinned := EXISTS (SELECT 1 FROM chat_pins p WHERE p.message_id = target.id);
    IF e.type = 'message_unpinned' THEN
        IF NOT pinned THEN
            RETURN NULL;  -- not pinned (or unpinned by its hiding, deletion or purge): nothing happened
        END IF;
    ELSE
        IF target.is_deleted THEN
            RAISE EXCEPTION 'message % is deleted and cannot be pinned', target.id
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_deleted';
        END IF;
        IF target.purged_at IS NOT NULL THEN
            RAISE EXCEPTION 'message % was purged and cannot be pinned', target.id
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_purged';
        END IF;
        IF target.hidden_at IS NOT NULL THEN
            RAISE EXCEPTION 'message % is hidden by a moderator and cannot be pinned', target.id
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_hidden';
        END IF;
        IF pinned THEN
            RETURN NULL;  -- pinned already: nothing happened
        END IF;
        IF most IS NULL OR most < 1 THEN
            RAISE EXCEPTION 'message_pinned needs the number of pins a chat may have, limit (PINS_PER_CHAT)'
                USING ERRCODE = 'check_violation';
        END IF;
        SELECT count(*) INTO pins FROM chat_pins p WHERE p.chat_id = e.chat_id;
        IF pins >= most THEN
            RAISE EXCEPTION 'chat % has % pinned messages, the most it may have (PINS_PER_CHAT): unpin one first',
                e.chat_id, pins
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'too_many_pins';
        END IF;
    END IF;
    e.payload := jsonb_build_object('message_id', target.id);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_pin(e events) IS 'message_pinned, message_unpinned: by a group''s owner (its creator), or either participant of a direct chat or a family chat (an inquiry''s teacher, never its guest), a current participant, in a chat that is not closed (a family chat that concerns no child is read-only), nor a direct chat whose teacher is deactivated (HINT teacher_departed: read-only until an admin hands it over, as for a message), of a message of the chat written since they joined; no admin, guest or suspended person (events_before_insert), no guardian but in their family chat (as a participant). Pinning: a message not deleted, hidden or purged, while the chat has fewer pins than the request''s limit (PINS_PER_CHAT, which the application sends as payload.limit, as retention sends its horizon; the log counts under its lock, so two pins at once cannot pass it); pinning a pinned message, unpinning one that is not pinned: no-ops. The payload is rebuilt as {message_id}: the actor is who. A message hidden, deleted or purged is unpinned by that event''s apply (events_apply), with no event of its own, and showing it again does not pin it again. In Rust: access::may_pin in api::pins.';

REVOKE ALL ON FUNCTION events_rule_pin(e events) FROM PUBLIC;
