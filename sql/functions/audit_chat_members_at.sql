CREATE OR REPLACE FUNCTION audit_chat_members_at(p_chat_id bigint, p_at timestamp with time zone) RETURNS TABLE(user_id bigint, user_name text, role text, member_since timestamp with time zone, since_position bigint)
    LANGUAGE sql STABLE
    AS $$
    WITH changes AS (
        SELECT p.user_id, p.role, e.type, e.created_at, e.position
        FROM events e
        CROSS JOIN LATERAL (
            SELECT (e.payload ->> 'teacher_id')::bigint, 'teacher' WHERE e.type = 'chat_created' AND e.payload ? 'teacher_id'
            UNION ALL
            SELECT (e.payload ->> 'student_id')::bigint, 'student' WHERE e.type = 'chat_created' AND e.payload ? 'student_id'
            UNION ALL
            SELECT (e.payload ->> 'host_id')::bigint, 'teacher' WHERE e.type = 'chat_created' AND e.payload ? 'host_id'
            UNION ALL
            SELECT (e.payload ->> 'guest_id')::bigint, 'guest' WHERE e.type = 'chat_created' AND e.payload ? 'guest_id'
            UNION ALL
            SELECT (e.payload ->> 'user_id')::bigint, e.payload ->> 'role'
            WHERE e.type IN ('participant_added', 'participant_removed')
        ) AS p (user_id, role)
        WHERE e.chat_id = p_chat_id AND e.created_at <= p_at
    ), latest AS (
        SELECT DISTINCT ON (c.user_id) c.* FROM changes c ORDER BY c.user_id, c.position DESC
    )
    SELECT l.user_id, u.name, l.role, l.created_at, l.position
    FROM latest l JOIN users u ON u.id = l.user_id
    WHERE l.type <> 'participant_removed'
    ORDER BY l.position, l.user_id
$$;
