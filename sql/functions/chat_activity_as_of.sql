CREATE OR REPLACE FUNCTION chat_activity_as_of(p_chat bigint, p_active bigint, p_head bigint)
    RETURNS TABLE (active bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE WHEN p_active <= p_head THEN p_active
                ELSE (SELECT max(e.position) FROM events e
                      WHERE e.chat_id = p_chat AND e.position <= p_head
                        AND e.type IN ('chat_created', 'message_created')) END
$$;

COMMENT ON FUNCTION chat_activity_as_of(p_chat bigint, p_active bigint, p_head bigint) IS 'Chat p_chat''s activity (chats.active_position, given as p_active) as of log head p_head: its own, unless that is newer, then the position of its newest message (or its opening) at or before p_head; NULL for a chat that did not exist yet. Chat lists page on it, so that a page read at one head does not move under a message sent since. Most chats take the first branch; the second reads a few entries of idx_events_chat_position. Set-returning so that PostgreSQL expands it into the calling statement (CROSS JOIN LATERAL chat_activity_as_of(c.id, c.active_position, $2) x).';
