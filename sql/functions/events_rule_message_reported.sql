CREATE OR REPLACE FUNCTION events_rule_message_reported(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target messages;
    since bigint;
BEGIN
    SELECT joined_position INTO since FROM chat_participants WHERE chat_id = e.chat_id AND user_id = e.actor_id;
    IF since IS NULL THEN
        -- A guardian reports in their child's chat too, which they read from their link on
        -- (guardian_reading; of a group, never: they read only their child's messages there).
        SELECT min(r.from_position) INTO since
        FROM guardian_reading(e.actor_id, false) r
        WHERE r.chat_id = e.chat_id AND (SELECT u.role FROM users u WHERE u.id = e.actor_id) = 'guardian';
    END IF;
    IF since IS NULL THEN
        PERFORM events_require_participant(e);
    END IF;
    target := events_target_message(e);
    IF target.sender_id = e.actor_id THEN
        RAISE EXCEPTION 'one cannot report one''s own message' USING ERRCODE = 'check_violation';
    END IF;
    IF target.position < since THEN
        RAISE EXCEPTION 'message % does not exist in chat %', target.id, e.chat_id USING ERRCODE = 'no_data_found';
    END IF;
    IF target.is_deleted OR target.hidden_at IS NOT NULL OR target.purged_at IS NOT NULL THEN
        RAISE EXCEPTION 'message % is no longer shown: there is nothing to report', target.id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM reports r WHERE r.message_id = target.id AND r.reporter_id = e.actor_id) THEN
        RAISE EXCEPTION 'user % has already reported message %', e.actor_id, target.id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'already_reported';
    END IF;
    IF NOT moderation_reason_valid(e.payload -> 'reason') THEN
        RAISE EXCEPTION 'a report needs a reason of 1 to 500 characters, not only whitespace'
            USING ERRCODE = 'check_violation';
    END IF;
    e.payload := jsonb_build_object('message_id', target.id, 'reason', e.payload ->> 'reason');
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_message_reported(e events) IS 'message_reported: a participant (or a guardian, in their child''s direct chat, which they read: guardian_reading), of someone else''s message they can see (written since they joined, not deleted, hidden or purged), once (reports_once), with a reason of 1-500 characters. In Rust: access::Writer::admit_reporter and access::check_access in api::moderation::report.';

REVOKE ALL ON FUNCTION events_rule_message_reported(e events) FROM PUBLIC;
