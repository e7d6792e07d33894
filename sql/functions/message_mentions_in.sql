CREATE OR REPLACE FUNCTION message_mentions_in(p_messages bigint[])
    RETURNS TABLE (message_id bigint, mentions jsonb)
    LANGUAGE sql STABLE
    AS $$
    SELECT x.message_id, jsonb_agg(jsonb_build_object('id', u.id, 'name', u.name) ORDER BY u.id)
    FROM message_mentions x JOIN users u ON u.id = x.user_id
    WHERE x.message_id = ANY (p_messages)
    GROUP BY x.message_id
$$;

COMMENT ON FUNCTION message_mentions_in(p_messages bigint[]) IS 'The people each of the messages p_messages mentions, with their names now, as message_views.mentions has them ([{id, name}], by id): a row for each message that mentions anyone. For a page of messages at once (history), where message_views reads them one message at a time. Set-returning so that PostgreSQL expands it into the calling statement (LEFT JOIN message_mentions_in(p.ids) t ON t.message_id = m.id).';
