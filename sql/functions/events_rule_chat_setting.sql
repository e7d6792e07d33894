CREATE OR REPLACE FUNCTION events_rule_chat_setting(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    me chat_participants;
    so_already boolean;
    active bigint;
BEGIN
    SELECT * INTO me FROM chat_participants WHERE chat_id = e.chat_id AND user_id = e.actor_id;
    IF NOT FOUND OR me.role = 'guest' THEN
        RAISE EXCEPTION 'user % is not a participant of chat % who may mute or archive it', e.actor_id, e.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Archived as the chat list says it: no message since (a closed chat gets none). The
    -- chat's activity, with the messages of this statement before this row (events_after_insert
    -- moves chats.active_position only once the statement is done; this trigger sees the rows
    -- the statement inserted before this one).
    IF e.type IN ('chat_archived', 'chat_unarchived') THEN
        SELECT greatest(c.active_position, (SELECT max(x.position) FROM events x
                                            WHERE x.chat_id = c.id AND x.position > c.active_position
                                              AND x.type = 'message_created'))
        INTO active FROM chats c WHERE c.id = e.chat_id;
    END IF;
    so_already := CASE e.type
        WHEN 'chat_muted' THEN me.muted
        WHEN 'chat_unmuted' THEN NOT me.muted
        ELSE (me.archived_position IS NOT NULL AND active < me.archived_position) = (e.type = 'chat_archived')
    END;
    IF so_already THEN
        RETURN NULL;  -- nothing happened
    END IF;
    e.payload := '{}';
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_setting(e events) IS 'chat_muted, chat_unmuted, chat_archived, chat_unarchived: a participant (not a guest), of their own membership, suspended or not (a setting of what they are told, as a read marker is); muting a muted chat, archiving a chat that is archived (no message since it was, as the chat list says; one a new message brought back to the inbox is archived again, at this position), and their opposites when not so: no-ops. The payload is empty: the event''s actor and position say everything. In Rust: access::Writer and access::check_access in api::chat_settings.';

REVOKE ALL ON FUNCTION events_rule_chat_setting(e events) FROM PUBLIC;
