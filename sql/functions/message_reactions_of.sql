CREATE OR REPLACE FUNCTION message_reactions_of(p_message bigint) RETURNS TABLE (reactions jsonb)
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce((SELECT x.reactions FROM message_reactions_in(ARRAY[p_message]) x), '[]')
$$;

COMMENT ON FUNCTION message_reactions_of(p_message bigint) IS 'Message p_message''s reactions as they are now (message_reactions_in, for one message): a JSON array of {emoji, user_ids, names}, empty when it has none. Set-returning so that PostgreSQL expands it into the calling statement (CROSS JOIN LATERAL message_reactions_of(m.id) x).';
