CREATE OR REPLACE FUNCTION events_rule_reaction(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    me chat_participants;
    target messages;
    wanted constant text := e.payload ->> 'emoji';
    there boolean;
BEGIN
    SELECT * INTO me FROM chat_participants WHERE chat_id = e.chat_id AND user_id = e.actor_id;
    IF NOT FOUND OR me.role = 'guest' THEN
        RAISE EXCEPTION 'user % is not a participant of chat % who may react', e.actor_id, e.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    target := events_target_message(e);
    IF target.position < me.joined_position THEN
        RAISE EXCEPTION 'message % does not exist in chat %', target.id, e.chat_id USING ERRCODE = 'no_data_found';
    END IF;
    IF jsonb_typeof(e.payload -> 'emoji') IS DISTINCT FROM 'string' OR NOT wanted = ANY (reaction_emojis()) THEN
        RAISE EXCEPTION '% is not a reaction: one of %', e.payload -> 'emoji', array_to_string(reaction_emojis(), ' ')
            USING ERRCODE = 'check_violation', HINT = 'unknown_reaction';
    END IF;
    PERFORM events_require_writable(e);
    IF target.purged_at IS NOT NULL THEN
        RAISE EXCEPTION 'message % was purged: it takes no reactions', target.id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_purged';
    END IF;
    IF target.is_deleted THEN
        RAISE EXCEPTION 'message % is deleted: it takes no reactions', target.id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_deleted';
    END IF;
    IF target.hidden_at IS NOT NULL THEN
        RAISE EXCEPTION 'message % is hidden by a moderator: it takes no reactions', target.id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_hidden';
    END IF;
    there := EXISTS (SELECT 1 FROM message_reactions r
                     WHERE r.message_id = target.id AND r.user_id = e.actor_id AND r.emoji = wanted);
    IF there = (e.type = 'reaction_added') THEN
        RETURN NULL;  -- so already: nothing happened
    END IF;
    e.payload := jsonb_build_object('message_id', target.id, 'emoji', wanted);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_reaction(e events) IS 'reaction_added, reaction_removed: a participant (not a guest; admins and guardians are nobody''s), not suspended (events_before_insert), of a message of the chat they can see (written since they joined), not deleted, hidden or purged, in a chat one may write to (events_require_writable: not closed, nor a family chat that concerns no child, nor a direct chat whose teacher is deactivated); the emoji one of reaction_emojis() (else HINT unknown_reaction). One per person per emoji: adding one that is there, or removing one that is not, is a no-op. The payload is the message and the emoji; the actor is who reacts. In Rust: access::Writer and access::check_access in api::reactions.';

REVOKE ALL ON FUNCTION events_rule_reaction(e events) FROM PUBLIC;
