DROP FUNCTION IF EXISTS chat_unread(bigint, boolean, boolean, bigint, bigint);  -- one rule for every chat now

CREATE OR REPLACE FUNCTION chat_unread(p_chat bigint, p_user bigint, p_last_read bigint)
    RETURNS TABLE (unread bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT count(*) FROM messages m
    WHERE m.chat_id = p_chat AND NOT m.is_deleted AND m.id > p_last_read AND m.sender_id <> p_user
      AND m.hidden_at IS NULL AND m.purged_at IS NULL
$$;

COMMENT ON FUNCTION chat_unread(p_chat bigint, p_user bigint, p_last_read bigint) IS 'Member p_user''s unread messages in chat p_chat, of every kind (direct, group, announcement, inquiry, family), derived from their read marker p_last_read (chat_participants.last_read_message_id) and kept nowhere: the messages after it that someone else sent and that are still to be read (not deleted, hidden or purged). An index-only range of idx_messages_chat_visible as long as the unread messages; nothing is written per message and member. So a member never counts a message from before they joined (joining sets their marker to the chat''s newest message), nor their own (an announcement''s owner, its only writer, has none), and a count and the marker agree at every position. Set-returning so that PostgreSQL expands it into the calling statement (CROSS JOIN LATERAL chat_unread(…) u).';
