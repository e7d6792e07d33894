CREATE OR REPLACE FUNCTION events_require_author(e events, target messages) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF target.sender_id IS DISTINCT FROM e.actor_id THEN
        RAISE EXCEPTION 'only the author may % message %',
            CASE e.type WHEN 'message_deleted' THEN 'delete' ELSE 'edit' END, e.payload -> 'message_id'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM events_require_writable(e);
END
$$;

COMMENT ON FUNCTION events_require_author(e events, target messages) IS 'The rule of message_deleted and message_edited: by the message''s author, in a chat one may write to (events_require_writable: a read-only chat is read-only for its messages too, edits and deletions included).';

REVOKE ALL ON FUNCTION events_require_author(e events, target messages) FROM PUBLIC;
