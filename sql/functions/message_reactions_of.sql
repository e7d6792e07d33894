CREATE OR REPLACE FUNCTION message_reactions_of(p_message bigint) RETURNS TABLE (reactions jsonb)
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('emoji', x.emoji, 'user_ids', x.user_ids, 'names', x.names)
                              ORDER BY x.first), '[]')
    FROM (SELECT r.emoji, min(r.position) AS first, array_agg(r.user_id ORDER BY r.position) AS user_ids,
                 array_agg(u.name ORDER BY r.position) AS names
          FROM message_reactions r JOIN users u ON u.id = r.user_id
          WHERE r.message_id = p_message
          GROUP BY r.emoji) x
$$;

COMMENT ON FUNCTION message_reactions_of(p_message bigint) IS 'Message p_message''s reactions as they are now, as history and exports show them: a JSON array of {emoji, user_ids, names}, one per emoji in the order each was first given, its people in the order they reacted. Whether the message shows them (not hidden, deleted or purged) is the caller''s to say. Set-returning so that PostgreSQL expands it into the calling statement (CROSS JOIN LATERAL message_reactions_of(m.id) x).';
