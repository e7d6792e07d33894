CREATE OR REPLACE FUNCTION events_rule_message_edited(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target messages;
    mentioned jsonb;
BEGIN
    PERFORM events_require_participant(e);
    target := events_target_message(e);
    PERFORM events_require_author(e, target);
    IF jsonb_typeof(e.payload -> 'content') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'message_edited needs a string payload field content'
            USING ERRCODE = 'check_violation';
    END IF;
    IF target.is_deleted THEN
        RAISE EXCEPTION 'message % is deleted and cannot be edited', e.payload -> 'message_id'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_deleted';
    END IF;
    IF target.purged_at IS NOT NULL THEN
        RAISE EXCEPTION 'message % was purged and cannot be edited', e.payload -> 'message_id'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_purged';
    END IF;
    IF target.hidden_at IS NOT NULL THEN
        RAISE EXCEPTION 'message % is hidden by a moderator and cannot be edited', e.payload -> 'message_id'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_hidden';
    END IF;
    IF target.content = e.payload ->> 'content' THEN
        RETURN NULL;  -- the same text again is a no-op: no event
    END IF;
    mentioned := e.payload -> 'mentions';
    e.payload := jsonb_build_object('message_id', (e.payload ->> 'message_id')::bigint,
                                    'content', e.payload ->> 'content');
    -- The new text's mentions, as the application resolved them again, checked against the
    -- group's members now (events_apply replaces the message's).
    mentioned := message_mentions_check(e.chat_id, e.actor_id, e.payload ->> 'content', mentioned);
    IF mentioned IS NOT NULL THEN
        e.payload := e.payload || jsonb_build_object('mentions', mentioned);
    END IF;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_message_edited(e events) IS 'message_edited: the author, a participant, of a message not deleted, purged or hidden, in a chat that is not closed; content a string; the same text again is a no-op; in a group, the new text''s mentions, as the application resolved them again (the payload''s mentions, at most 20 ids, absent for none), checked by message_mentions_check, replace the message''s. The old text stays in the log (until the message is purged). In Rust: access::Writer and the author check in api::messages::edit.';

REVOKE ALL ON FUNCTION events_rule_message_edited(e events) FROM PUBLIC;
