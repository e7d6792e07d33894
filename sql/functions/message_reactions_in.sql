CREATE OR REPLACE FUNCTION message_reactions_in(p_messages bigint[])
    RETURNS TABLE (message_id bigint, reactions jsonb)
    LANGUAGE sql STABLE
    AS $$
    SELECT x.message_id,
           jsonb_agg(jsonb_build_object('emoji', x.emoji, 'user_ids', x.user_ids, 'names', x.names) ORDER BY x.first)
    FROM (SELECT r.message_id, r.emoji, min(r.position) AS first, array_agg(r.user_id ORDER BY r.position) AS user_ids,
                 array_agg(u.name ORDER BY r.position) AS names
          FROM message_reactions r JOIN users u ON u.id = r.user_id
          WHERE r.message_id = ANY (p_messages)
          GROUP BY r.message_id, r.emoji) x
    GROUP BY x.message_id
$$;

COMMENT ON FUNCTION message_reactions_in(p_messages bigint[]) IS 'The reactions of each of the messages p_messages as they are now, as history and exports show them: a row for each message that has any, its reactions a JSON array of {emoji, user_ids, names}, one per emoji in the order each was first given, its people in the order they reacted. Whether a message shows them (not hidden, deleted or purged) is the caller''s to say. For a page of messages at once (history); message_reactions_of is it for one. Set-returning so that PostgreSQL expands it into the calling statement (LEFT JOIN message_reactions_in(p.ids) x ON x.message_id = m.id).';
