CREATE OR REPLACE FUNCTION events_rule_chat_closed(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    chat chats;
    actor_role text := (SELECT u.role FROM users u WHERE u.id = e.actor_id);
    reason text := coalesce(e.payload ->> 'reason', 'idle');
    request closure_requests;
BEGIN
    SELECT * INTO chat FROM chats c WHERE c.id = e.chat_id;
    IF e.actor_id IS NULL THEN
        IF chat.kind IS DISTINCT FROM 'inquiry' THEN
            RAISE EXCEPTION 'only the system closes inquiry chats' USING ERRCODE = 'insufficient_privilege';
        END IF;
        reason := CASE WHEN reason = 'revoked' THEN 'revoked' ELSE 'idle' END;
    ELSIF reason = 'blocked' AND chat.kind = 'family' THEN
        -- Either member blocks the other (a guardian, a teacher); an admin may end it too.
        IF actor_role IS DISTINCT FROM 'admin' AND NOT EXISTS (
            SELECT 1 FROM chat_participants p WHERE p.chat_id = e.chat_id AND p.user_id = e.actor_id) THEN
            RAISE EXCEPTION 'only a member of the family chat or an admin blocks in it'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF reason = 'blocked' THEN
        IF chat.kind IS DISTINCT FROM 'inquiry' THEN
            RAISE EXCEPTION 'only an inquiry''s visitor, or a family chat''s other member, can be blocked'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF actor_role IS DISTINCT FROM 'admin' AND NOT EXISTS (
            SELECT 1 FROM chat_participants p WHERE p.chat_id = e.chat_id AND p.user_id = e.actor_id AND p.role = 'teacher') THEN
            RAISE EXCEPTION 'only the inquiry''s teacher or an admin blocks its visitor'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF reason = 'guardian_request' THEN
        IF actor_role IS DISTINCT FROM 'admin' OR chat.kind IS DISTINCT FROM 'direct' THEN
            RAISE EXCEPTION 'only an admin closes a direct chat, on a guardian''s request'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO request FROM closure_requests r
        WHERE r.id = CASE WHEN jsonb_typeof(e.payload -> 'request_id') = 'number'
                          THEN (e.payload ->> 'request_id')::bigint END
          AND r.chat_id = e.chat_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'closure request % does not exist in chat %', e.payload -> 'request_id', e.chat_id
                USING ERRCODE = 'no_data_found';
        END IF;
        IF request.outcome IS NOT NULL THEN
            RETURN NULL;  -- decided already
        END IF;
    ELSE
        RAISE EXCEPTION 'a person closes a chat only by blocking an inquiry''s visitor or on a guardian''s request'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF reason = 'blocked' AND (EXISTS (SELECT 1 FROM inquiry_blocks b WHERE b.chat_id = e.chat_id)
                               OR chat.kind = 'family' AND chat.closed_at IS NOT NULL) THEN
        RETURN NULL;  -- blocked already
    ELSIF chat.closed_at IS NOT NULL AND reason <> 'blocked' THEN
        RETURN NULL;  -- closed already (an inquiry closed otherwise may still have its visitor blocked)
    END IF;
    e.payload := CASE WHEN request.id IS NULL THEN jsonb_build_object('reason', reason)
                      ELSE jsonb_build_object('reason', reason, 'request_id', request.id) END;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_closed(e events) IS 'chat_closed: the chat becomes read-only for good; closing again is a no-op, but for blocking the visitor of an inquiry closed otherwise (blocking twice is). By the system (no actor): inquiry chats only, reason idle or revoked (its link). By a person: reason blocked, an inquiry chat, by its teacher or an admin (the visitor is blocked: inquiry_blocks), or a family chat, by either member (the guardian or the teacher blocks the other: the pair''s chat is read-only for good, and no other opens for them) or an admin; or reason guardian_request, a direct chat, by an admin, naming an undecided closure request of that chat (request_id; decided already: a no-op), which grants every open request of the chat. An inquiry''s closing ends the guest''s session (guest_sessions). In Rust: access::may_block_visitor in api::blocking, access::Admin in api::closures.';

REVOKE ALL ON FUNCTION events_rule_chat_closed(e events) FROM PUBLIC;
