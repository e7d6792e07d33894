CREATE OR REPLACE FUNCTION chat_read_markers(p_chat bigint) RETURNS TABLE (readers bigint[], markers bigint[])
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(array_agg(user_id ORDER BY user_id), '{}'),
           coalesce(array_agg(last_read_message_id ORDER BY user_id), '{}')
    FROM chat_participants WHERE chat_id = p_chat
$$;

COMMENT ON FUNCTION chat_read_markers(p_chat bigint) IS 'Chat p_chat''s current participants (readers) and each one''s read marker (markers, in the same order), from which a message''s read_by is computed. Set-returning so that PostgreSQL expands it into the calling statement (CROSS JOIN LATERAL chat_read_markers($1) r: read once per statement when the chat is a parameter).';
