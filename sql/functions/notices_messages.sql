CREATE OR REPLACE FUNCTION notices_messages(p_after bigint, p_upto bigint)
    RETURNS TABLE ("position" bigint, chat_id bigint, actor_id bigint, created_at timestamp with time zone,
                   message_id bigint, preview text)
    LANGUAGE sql STABLE
    AS $$
    SELECT e.position, e.chat_id, e.actor_id, e.created_at, m.id,
           CASE WHEN m.is_deleted OR m.hidden_at IS NOT NULL OR m.purged_at IS NOT NULL THEN ''
                WHEN m.content ~ '[^[:space:]]' THEN left(m.content, 100)
                ELSE '📎 ' || (m.attachments -> 0 ->> 'name') END
    FROM events e JOIN messages m ON m.id = (e.payload ->> 'message_id')::bigint
    WHERE e.position > p_after AND e.position <= p_upto AND e.type = 'message_created'
$$;

COMMENT ON FUNCTION notices_messages(p_after bigint, p_upto bigint) IS 'The messages created at log positions after p_after up to p_upto, for notices_fan_out: where, by whom, when, and the preview a notice shows of each as it is now (its first 100 characters, or its first attachment''s name; empty once deleted, hidden or purged).';
