CREATE OR REPLACE FUNCTION guardian_reading(p_guardian bigint, p_groups boolean)
    RETURNS TABLE (chat_id bigint, student_id bigint, from_position bigint, to_position bigint, own_only boolean)
    LANGUAGE sql STABLE
    AS $$
    SELECT c.id, g.student_id, g.from_position, NULL::bigint, false
    FROM guardian_links g
    JOIN chats c ON c.student_id = g.student_id AND c.kind = 'direct'
    WHERE g.guardian_id = p_guardian AND g.to_position IS NULL
    UNION ALL
    SELECT p.chat_id, g.student_id, greatest(g.from_position, p.from_position), p.to_position, true
    FROM guardian_links g
    JOIN chat_memberships p ON p.user_id = g.student_id
    JOIN chats c ON c.id = p.chat_id AND c.kind = 'group'
    WHERE p_groups AND g.guardian_id = p_guardian AND g.to_position IS NULL
      AND (p.to_position IS NULL OR p.to_position > g.from_position)
$$;

COMMENT ON FUNCTION guardian_reading(p_guardian bigint, p_groups boolean) IS 'What guardian p_guardian reads now, one row per stretch: the direct chats of each student they are linked to now, from the link on (own_only false: the whole chat); with p_groups (GUARDIAN_GROUPS=own_messages), also each group the student was a member of while linked, from where both the membership and the link had begun through the event that ended the membership (NULL: open), the student''s own messages only (own_only). The one rule of a guardian''s reading: history, export, the chat list, the replay, the access records and the push outbox all read it. A set-returning SQL function, expanded into the statement that calls it.';
