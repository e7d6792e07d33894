DROP FUNCTION IF EXISTS notice_reader(bigint, bigint, bigint);  -- it answers whether mentioned, too

CREATE OR REPLACE FUNCTION notice_reader(p_user bigint, p_chat bigint, p_message bigint)
    RETURNS TABLE (behind boolean, mentioned boolean)
    LANGUAGE sql STABLE
    AS $$
    SELECT NOT d.departed
           AND (coalesce(m.unread AND (NOT m.muted OR m.mentioned), false)
                OR EXISTS (SELECT 1 FROM guardian_reading(p_user, (SELECT s.guardian_groups = 'own_messages'
                                                                   FROM guardian_policy s)) r
                           WHERE r.chat_id = p_chat AND r.to_position IS NULL)),
           coalesce(m.unread AND m.mentioned, false)
    FROM (SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user AND u.deactivated_at IS NOT NULL) AS departed) d
    LEFT JOIN LATERAL (
        SELECT true AS unread, p.muted,
               EXISTS (SELECT 1 FROM message_mentions x JOIN messages g ON g.id = x.message_id
                       WHERE x.user_id = p_user AND x.chat_id = p_chat
                         AND x.message_id > p.last_read_message_id AND x.message_id <= p_message
                         AND NOT g.is_deleted AND g.hidden_at IS NULL AND g.purged_at IS NULL) AS mentioned
        FROM chat_participants p
        WHERE p.chat_id = p_chat AND p.user_id = p_user AND p.last_read_message_id < p_message) m ON true
$$;

COMMENT ON FUNCTION notice_reader(p_user bigint, p_chat bigint, p_message bigint) IS 'Whether a notice to p_user about message p_message of chat p_chat is still worth sending, as far as their reading goes (behind): never to someone who left the school (deactivated); else a member who has not read up to it and has not muted the chat (chat_muted), or has but is mentioned by one of the messages they have not read up to it (message_mentions; not deleted, hidden or purged): a mention notifies even a muted chat; or a guardian who reads the chat now (guardian_reading: linked, and for a group under GUARDIAN_GROUPS=own_messages their child still a member; a guardian keeps no read marker). And whether such a message mentions them (mentioned: the webhook''s and the push''s "mentioned"). The notices'' and the pushes'' claims both ask it. Set-returning, so that PostgreSQL expands it into the calling statement.';
