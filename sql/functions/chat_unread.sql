CREATE OR REPLACE FUNCTION chat_unread(p_chat bigint, p_announcement boolean, p_owner boolean, p_last_read bigint,
                                       p_kept bigint)
    RETURNS TABLE (unread bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE WHEN NOT p_announcement THEN p_kept
                WHEN p_owner THEN 0
                ELSE (SELECT count(*) FROM messages m
                      WHERE m.chat_id = p_chat AND NOT m.is_deleted AND m.id > p_last_read) END
$$;

COMMENT ON FUNCTION chat_unread(p_chat bigint, p_announcement boolean, p_owner boolean, p_last_read bigint, p_kept bigint) IS 'A member''s unread messages in chat p_chat: in a direct chat, an inquiry or a group, p_kept (chat_participants.unread_count, kept by events_after_insert: one row update per other member and message, none when read); in an announcement (p_announcement), derived from the member''s read marker p_last_read: its messages after it, not deleted (an index-only range of idx_messages_chat_visible, as long as the unread ones: nothing written per message and member); 0 for its owner (p_owner), its only writer. Set-returning so that PostgreSQL expands it into the calling statement (CROSS JOIN LATERAL chat_unread(…) u).';
