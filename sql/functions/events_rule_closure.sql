CREATE OR REPLACE FUNCTION events_rule_closure(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    request closure_requests;
    note text := e.payload ->> 'note';
BEGIN
    IF e.type = 'closure_requested' THEN
        IF NOT EXISTS (
            SELECT 1 FROM chats c JOIN guardian_links g ON g.student_id = c.student_id AND g.to_position IS NULL
            WHERE c.id = e.chat_id AND c.kind = 'direct' AND g.guardian_id = e.actor_id) THEN
            RAISE EXCEPTION 'only a guardian linked to the chat''s student asks for its closing'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (SELECT c.closed_at FROM chats c WHERE c.id = e.chat_id) IS NOT NULL THEN
            RAISE EXCEPTION 'chat % is closed: it is read-only', e.chat_id USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF jsonb_typeof(e.payload -> 'reason') IS DISTINCT FROM 'string'
           OR char_length(e.payload ->> 'reason') NOT BETWEEN 1 AND 1000
           OR (e.payload ->> 'reason') !~ '[^[:space:]]' THEN
            RAISE EXCEPTION 'a closure request needs a reason of 1 to 1000 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        e.payload := jsonb_build_object('reason', e.payload ->> 'reason');
        RETURN e;
    END IF;
    -- closure_declined
    IF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin declines a closure request' USING ERRCODE = 'insufficient_privilege';
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
    IF note IS NOT NULL AND char_length(note) > 1000 THEN
        RAISE EXCEPTION 'a note is at most 1000 characters' USING ERRCODE = 'check_violation';
    END IF;
    e.payload := jsonb_build_object('request_id', request.id, 'note', nullif(btrim(note), ''));
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_closure(e events) IS 'closure_requested: a guardian linked now to the student of a direct chat that is not closed, with a reason of 1-1000 characters. closure_declined: an admin, naming an undecided closure request of the chat (request_id), with an optional note of at most 1000 characters; one decided already: a no-op (closing it is chat_closed, reason guardian_request). In Rust: access::Guardian in api::closures (the linked guardian), access::Admin.';

REVOKE ALL ON FUNCTION events_rule_closure(e events) FROM PUBLIC;
