-- Audit with nothing but psql. See README.md, "Auditing with psql".

-- Everything that happened in a chat, in log order: who wrote what, who deleted what, when.
-- For a deletion, `content` shows the text that was deleted.
CREATE FUNCTION audit_chat_timeline(p_chat_id bigint)
RETURNS TABLE (event_position bigint, occurred_at timestamptz, event_type text,
               actor_id bigint, actor_name text, message_id bigint, content text)
LANGUAGE sql STABLE AS $$
    SELECT e.position, e.created_at, e.type, e.actor_id,
           CASE WHEN e.actor_id IS NULL THEN '(system)' ELSE u.name END,
           (e.payload ->> 'message_id')::bigint,
           CASE e.type
               WHEN 'message_created' THEN e.payload ->> 'content'
               WHEN 'message_deleted' THEN (
                   SELECT c.payload ->> 'content' FROM events c
                   WHERE c.chat_id = e.chat_id AND c.type = 'message_created'
                     AND c.payload -> 'message_id' = e.payload -> 'message_id')
               WHEN 'chat_created' THEN format('chat opened for student %s and teacher %s (lesson %s)',
                   e.payload ->> 'student_id', e.payload ->> 'teacher_id', e.payload ->> 'lesson_id')
           END
    FROM events e
    LEFT JOIN users u ON u.id = e.actor_id
    WHERE e.chat_id = p_chat_id
    ORDER BY e.position
$$;

-- The messages of a chat as they stood at p_at: those written by then, and whether they had
-- been deleted by then. Times are the events' own (taken under the append lock, so they
-- follow log order).
CREATE FUNCTION audit_chat_at(p_chat_id bigint, p_at timestamptz)
RETURNS TABLE (message_id bigint, sender_id bigint, sender_name text, content text,
               created_at timestamptz, is_deleted boolean, deleted_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT (m.payload ->> 'message_id')::bigint, m.actor_id, u.name, m.payload ->> 'content',
           m.created_at, d.deleted_at IS NOT NULL, d.deleted_at
    FROM events m
    JOIN users u ON u.id = m.actor_id
    LEFT JOIN LATERAL (
        SELECT min(x.created_at) AS deleted_at FROM events x
        WHERE x.chat_id = m.chat_id AND x.type = 'message_deleted'
          AND x.payload -> 'message_id' = m.payload -> 'message_id'
          AND x.created_at <= p_at
    ) d ON true
    WHERE m.chat_id = p_chat_id AND m.type = 'message_created' AND m.created_at <= p_at
    ORDER BY m.position
$$;

-- Rebuilds chats, chat_participants and messages from the log into the session's scratch
-- tables replay_chats, replay_chat_participants and replay_messages (left in place to inspect),
-- and returns every difference from the live projections. No rows = consistent.
CREATE FUNCTION audit_replay()
RETURNS TABLE (projection text, row_key text, problem text, replayed jsonb, live jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.replay_chats') IS NOT NULL THEN
        DROP TABLE pg_temp.replay_chats, pg_temp.replay_chat_participants, pg_temp.replay_messages;
    END IF;

    CREATE TEMP TABLE replay_chats AS
    SELECT e.chat_id AS id, (e.payload ->> 'student_id')::bigint AS student_id,
           (e.payload ->> 'teacher_id')::bigint AS teacher_id, e.created_at
    FROM events e WHERE e.type = 'chat_created';

    CREATE TEMP TABLE replay_chat_participants AS
    SELECT e.chat_id, p.user_id, p.role, e.created_at AS joined_at
    FROM events e
    CROSS JOIN LATERAL (VALUES ((e.payload ->> 'teacher_id')::bigint, 'teacher'),
                               ((e.payload ->> 'student_id')::bigint, 'student')) AS p (user_id, role)
    WHERE e.type = 'chat_created';

    CREATE TEMP TABLE replay_messages AS
    SELECT (c.payload ->> 'message_id')::bigint AS id, c.chat_id, c.actor_id AS sender_id,
           c.payload ->> 'content' AS content, d.position IS NOT NULL AS is_deleted,
           c.created_at, d.created_at AS deleted_at, d.actor_id AS deleted_by, c.position
    FROM events c
    LEFT JOIN LATERAL (
        SELECT x.position, x.created_at, x.actor_id FROM events x
        WHERE x.chat_id = c.chat_id AND x.type = 'message_deleted'
          AND x.payload -> 'message_id' = c.payload -> 'message_id'
        ORDER BY x.position LIMIT 1
    ) d ON true
    WHERE c.type = 'message_created';

    RETURN QUERY
    WITH replayed (projection, row_key, body) AS (
        SELECT 'chats', r.id::text, to_jsonb(r) FROM replay_chats r
        UNION ALL
        SELECT 'chat_participants', r.chat_id || '/' || r.user_id, to_jsonb(r) FROM replay_chat_participants r
        UNION ALL
        SELECT 'messages', r.id::text, to_jsonb(r) FROM replay_messages r
    ), live (projection, row_key, body) AS (
        SELECT 'chats', l.id::text, to_jsonb(l)
        FROM (SELECT id, student_id, teacher_id, created_at FROM chats) l
        UNION ALL
        SELECT 'chat_participants', l.chat_id || '/' || l.user_id, to_jsonb(l)
        FROM (SELECT chat_id, user_id, role::text, joined_at FROM chat_participants) l
        UNION ALL
        SELECT 'messages', l.id::text, to_jsonb(l)
        FROM (SELECT id, chat_id, sender_id, content, is_deleted, created_at, deleted_at,
                     deleted_by, position FROM messages) l
    )
    SELECT coalesce(r.projection, l.projection), coalesce(r.row_key, l.row_key),
           CASE WHEN l.body IS NULL THEN 'missing from projection'
                WHEN r.body IS NULL THEN 'not in the log'
                ELSE 'differs' END,
           r.body, l.body
    FROM replayed r
    FULL JOIN live l ON l.projection = r.projection AND l.row_key = r.row_key
    WHERE r.body IS DISTINCT FROM l.body
    ORDER BY 1, 2;
END
$$;
