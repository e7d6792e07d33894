CREATE OR REPLACE FUNCTION notice_reader(p_user bigint, p_chat bigint, p_message bigint)
    RETURNS TABLE (behind boolean)
    LANGUAGE sql STABLE
    AS $$
    SELECT EXISTS (SELECT 1 FROM chat_participants p
                   WHERE p.chat_id = p_chat AND p.user_id = p_user AND p.last_read_message_id < p_message
                     AND NOT p.muted)  -- the hook for mentions: a mention will notify a muted chat too
        OR EXISTS (SELECT 1 FROM guardian_reading(p_user, (SELECT s.guardian_groups = 'own_messages'
                                                           FROM safeguarding_settings s)) r
                   WHERE r.chat_id = p_chat AND r.to_position IS NULL)
$$;

COMMENT ON FUNCTION notice_reader(p_user bigint, p_chat bigint, p_message bigint) IS 'Whether a notice to p_user about message p_message of chat p_chat is still worth sending, as far as their reading goes: a member who has not read up to it and has not muted the chat (chat_muted; mentions, when they exist, will be the exception), or a guardian who reads the chat now (guardian_reading: linked, and for a group under GUARDIAN_GROUPS=own_messages their child still a member; a guardian keeps no read marker). The notices'' and the pushes'' claims both ask it. Set-returning, so that PostgreSQL expands it into the calling statement.';
