CREATE OR REPLACE FUNCTION events_rule_message_created(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    reply_to bigint;
    new_message_id bigint;
    attached jsonb;
    held_since jsonb;
    mentioned jsonb;
BEGIN
    PERFORM events_require_participant(e);
    PERFORM events_require_writable(e);
    IF EXISTS (SELECT 1 FROM chats WHERE id = e.chat_id AND announcement AND created_by IS DISTINCT FROM e.actor_id) THEN
        RAISE EXCEPTION 'chat % is an announcement: only its owner posts, members read', e.chat_id
            USING ERRCODE = 'insufficient_privilege', HINT = 'announcement_read_only';
    END IF;
    IF jsonb_typeof(e.payload -> 'content') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'message_created needs a string payload field content'
            USING ERRCODE = 'check_violation';
    END IF;
    IF e.payload ? 'reply_to_message_id' AND jsonb_typeof(e.payload -> 'reply_to_message_id') <> 'null' THEN
        reply_to := CASE WHEN jsonb_typeof(e.payload -> 'reply_to_message_id') = 'number'
                         THEN (e.payload ->> 'reply_to_message_id')::bigint END;
        -- A message of the chat that the sender can see (written since they joined).
        IF reply_to IS NULL OR NOT EXISTS (
            SELECT 1 FROM messages m JOIN chat_participants p ON p.chat_id = m.chat_id AND p.user_id = e.actor_id
            WHERE m.id = reply_to AND m.chat_id = e.chat_id AND m.position >= p.joined_position) THEN
            RAISE EXCEPTION 'reply_to_message_id % is not a message of chat %',
                e.payload -> 'reply_to_message_id', e.chat_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF e.payload ? 'held_since' AND (jsonb_typeof(e.payload -> 'held_since') <> 'string'
                                     OR (e.payload ->> 'held_since')::timestamptz > e.created_at) THEN
        RAISE EXCEPTION 'held_since is when the server accepted a held message: a time not after it is delivered'
            USING ERRCODE = 'check_violation';
    END IF;
    held_since := e.payload -> 'held_since';
    mentioned := e.payload -> 'mentions';
    new_message_id := (e.payload ->> 'message_id')::bigint;  -- drawn with its position
    attached := attachments_bind(new_message_id, e.chat_id, e.actor_id, e.payload -> 'attachment_ids');
    e.payload := jsonb_build_object('message_id', new_message_id, 'content', e.payload ->> 'content');
    IF reply_to IS NOT NULL THEN
        e.payload := e.payload || jsonb_build_object('reply_to_message_id', reply_to);
    END IF;
    IF attached IS NOT NULL THEN
        e.payload := e.payload || jsonb_build_object('attachments', attached);
    END IF;
    IF held_since IS NOT NULL THEN
        e.payload := e.payload || jsonb_build_object('held_since', held_since);
    END IF;
    -- Whom it mentions, as the application resolved it, checked against the group's members
    -- now (events_after_insert keeps them).
    mentioned := message_mentions_check(e.chat_id, e.actor_id, e.payload ->> 'content', mentioned);
    IF mentioned IS NOT NULL THEN
        e.payload := e.payload || jsonb_build_object('mentions', mentioned);
    END IF;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_message_created(e events) IS 'message_created with a reply, attachments, held_since or mentions (a plain message is only numbered by events_before_insert and checked once per statement by events_after_insert): a current participant, in a chat that is not closed (nor a family chat that concerns no child now: family_children), nor a direct chat whose teacher is deactivated (HINT teacher_departed: read-only until an admin hands it over, chat_handed_over), the owner if it is an announcement (else HINT announcement_read_only); content a string; a reply quotes a message of the same chat written since the sender joined; attachments are the sender''s unattached uploads to this chat (attachments_bind); a message quiet hours held carries held_since, when the server accepted it (not after now); in a group, the members its text mentions, as the application resolved them (the payload''s mentions: at most 20 ids), are kept if they are members now whose name follows an "@" in the text (message_mentions_check; absent: none). The log draws the message id with the position (events_append, events_before_insert), so ids grow with positions. In Rust: access::Writer and access::check_access in api::messages::send.';

REVOKE ALL ON FUNCTION events_rule_message_created(e events) FROM PUBLIC;
