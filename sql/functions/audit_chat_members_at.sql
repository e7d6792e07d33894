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
    ), guardians AS (
        -- A direct chat's student's guardians linked then: each pair's latest link event.
        SELECT DISTINCT ON (1) (k.payload ->> 'guardian_id')::bigint AS user_id, k.type, k.created_at, k.position
        FROM events o
        JOIN events k ON k.type IN ('guardian_linked', 'guardian_unlinked')
                     AND (k.payload ->> 'student_id')::bigint = (o.payload ->> 'student_id')::bigint
                     AND k.created_at <= p_at
        WHERE o.chat_id = p_chat_id AND o.type = 'chat_created' AND o.payload ? 'student_id' AND o.created_at <= p_at
        ORDER BY 1, k.position DESC
    )
    SELECT l.user_id, u.name, l.role, l.created_at, l.position
    FROM latest l JOIN users u ON u.id = l.user_id
    WHERE l.type <> 'participant_removed'
    UNION ALL
    SELECT g.user_id, u.name, 'guardian', g.created_at, g.position
    FROM guardians g JOIN users u ON u.id = g.user_id
    WHERE g.type = 'guardian_linked'
    ORDER BY 5, 1
$$;

COMMENT ON FUNCTION audit_chat_members_at(p_chat_id bigint, p_at timestamp with time zone) IS 'Who could read chat p_chat_id at p_at, from the log alone: its members then (role teacher, student, guest, or the group role they were added with), since when, and, for a direct chat, the guardians of its student linked then (role guardian; they read, never write).';
