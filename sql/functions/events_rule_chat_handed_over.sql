CREATE OR REPLACE FUNCTION events_rule_chat_handed_over(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    chat chats;
    successor users;
BEGIN
    IF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin hands a chat over to another teacher' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO chat FROM chats c WHERE c.id = e.chat_id;
    IF NOT FOUND OR chat.kind NOT IN ('direct', 'family') THEN
        RAISE EXCEPTION 'chat % is not a direct chat of a student and a teacher, nor a family chat', e.chat_id
            USING ERRCODE = 'check_violation', HINT = 'unfit';
    END IF;
    IF chat.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'chat % is closed: it is read-only', e.chat_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT * INTO successor FROM users u
    WHERE u.id = CASE WHEN jsonb_typeof(e.payload -> 'to_teacher_id') = 'number'
                      THEN (e.payload ->> 'to_teacher_id')::bigint END;
    IF NOT FOUND OR successor.role <> 'teacher' OR successor.deactivated_at IS NOT NULL
       OR successor.suspended_until > e.created_at OR successor.erasure_requested_at IS NOT NULL THEN
        RAISE EXCEPTION 'user % is not a teacher of the school who may take a chat over', e.payload -> 'to_teacher_id'
            USING ERRCODE = 'check_violation', HINT = 'unfit';
    END IF;
    IF successor.id = chat.teacher_id THEN
        RETURN NULL;  -- theirs already: nothing happened
    END IF;
    IF EXISTS (SELECT 1 FROM chats c WHERE c.student_id = chat.student_id AND c.teacher_id = successor.id) THEN
        RAISE EXCEPTION 'teacher % has a chat with student % already (one chat per pair)', successor.id, chat.student_id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'pair_has_chat';
    END IF;
    IF EXISTS (SELECT 1 FROM chats c WHERE c.guardian_id = chat.guardian_id AND c.teacher_id = successor.id) THEN
        RAISE EXCEPTION 'teacher % has a chat with guardian % already (one chat per pair)', successor.id, chat.guardian_id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'pair_has_chat';
    END IF;
    IF EXISTS (SELECT 1 FROM chat_memberships s WHERE s.chat_id = e.chat_id AND s.user_id = successor.id) THEN
        RAISE EXCEPTION 'teacher % was a teacher of chat % before', successor.id, e.chat_id
            USING ERRCODE = 'check_violation', HINT = 'unfit';
    END IF;
    e.payload := jsonb_build_object('from_teacher_id', chat.teacher_id, 'to_teacher_id', successor.id)
        || CASE WHEN chat.kind = 'family' THEN jsonb_build_object('guardian_id', chat.guardian_id)
                ELSE jsonb_build_object('student_id', chat.student_id) END;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_handed_over(e events) IS 'chat_handed_over: an admin hands a direct chat or a family chat (not closed) from its teacher to another teacher of the school (to_teacher_id: a teacher, not deactivated, suspended or being erased; never one who was a teacher of this chat before); the successor inherits the teacher''s membership (chat_participants, chat_memberships from the chat''s opening: they read the whole history) and the departed teacher''s ends here. Handing it to its own teacher: a no-op. The pair (student or guardian, successor) having a chat already: refused (HINT pair_has_chat), as chats_one_per_pair and chats_one_per_family keep one chat per pair. The payload the log keeps: from_teacher_id, to_teacher_id, and student_id (a direct chat) or guardian_id (a family chat). In Rust: access::Admin in api::departures.';

REVOKE ALL ON FUNCTION events_rule_chat_handed_over(e events) FROM PUBLIC;
