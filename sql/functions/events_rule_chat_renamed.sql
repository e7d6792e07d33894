CREATE OR REPLACE FUNCTION events_rule_chat_renamed(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    PERFORM events_require_group_manager(e);
    IF NOT chat_title_valid(e.payload -> 'title') THEN
        RAISE EXCEPTION 'a group needs a title of 1 to 200 characters, not only whitespace'
            USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT title FROM chats WHERE id = e.chat_id) = e.payload ->> 'title' THEN
        RETURN NULL;  -- the same title again: nothing happened
    END IF;
    e.payload := jsonb_build_object('title', e.payload -> 'title');
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_renamed(e events) IS 'chat_renamed: a group''s owner or an admin (events_require_group_manager), to a title of 1-200 characters, not blank; the same title again is a no-op. In Rust: access::group_manager in api::groups::rename.';

REVOKE ALL ON FUNCTION events_rule_chat_renamed(e events) FROM PUBLIC;
