-- Read models for the chat lists, kept by the event log's trigger like the other projections.
--
-- Before this, a chat list looked up each chat's newest message and counted each chat's unread
-- messages at read time: about 10,000 buffer hits for a teacher with 500 chats (see
-- docs/benchmarks.md, S4). Now each append updates two small rows instead, under the append
-- lock that already serialises appends, and a chat list reads one row per chat.
--
-- chats.last_message_id    newest message not deleted (NULL: none), the same one the history
--                          index idx_messages_chat_visible finds first
-- chats.message_count      messages not deleted
-- chat_participants.unread_count
--                          messages not deleted, from someone else, with an id above the
--                          participant's last_read_message_id
--
-- audit_replay() recomputes all three from the log and reports any difference.

ALTER TABLE chats
    ADD COLUMN last_message_id bigint,
    ADD COLUMN message_count bigint NOT NULL DEFAULT 0;
ALTER TABLE chat_participants
    ADD COLUMN unread_count bigint NOT NULL DEFAULT 0;

-- Every message updates one chats row and one chat_participants row. None of the updated
-- columns is indexed, so with free space on the page the update stays on it (a HOT update)
-- and touches no index.
ALTER TABLE chats SET (fillfactor = 70);
ALTER TABLE chat_participants SET (fillfactor = 70);

UPDATE chats c
SET last_message_id = s.last_id, message_count = s.visible
FROM (SELECT chat_id, max(id) AS last_id, count(*) AS visible
      FROM messages WHERE NOT is_deleted GROUP BY chat_id) s
WHERE s.chat_id = c.id;

UPDATE chat_participants p
SET unread_count = s.unread
FROM (SELECT p2.id, count(*) AS unread
      FROM chat_participants p2
      JOIN messages m ON m.chat_id = p2.chat_id AND NOT m.is_deleted
                     AND m.sender_id <> p2.user_id AND m.id > p2.last_read_message_id
      GROUP BY p2.id) s
WHERE s.id = p.id;

CREATE OR REPLACE FUNCTION events_apply(e events) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    student bigint := (e.payload ->> 'student_id')::bigint;
    teacher bigint := (e.payload ->> 'teacher_id')::bigint;
    message bigint := (e.payload ->> 'message_id')::bigint;
    sender  bigint;
BEGIN
    CASE e.type
    WHEN 'chat_created' THEN
        INSERT INTO chats (id, student_id, teacher_id, created_at)
        VALUES (e.chat_id, student, teacher, e.created_at);
        INSERT INTO chat_participants (chat_id, user_id, role, joined_at)
        VALUES (e.chat_id, teacher, 'teacher', e.created_at),
               (e.chat_id, student, 'student', e.created_at);
    WHEN 'message_created' THEN
        INSERT INTO messages (id, chat_id, sender_id, content, created_at, position)
        VALUES (message, e.chat_id, e.actor_id, e.payload ->> 'content', e.created_at, e.position);
        UPDATE chats
        SET last_message_id = message, message_count = message_count + 1
        WHERE id = e.chat_id;
        UPDATE chat_participants
        SET unread_count = unread_count + 1
        WHERE chat_id = e.chat_id AND user_id <> e.actor_id AND last_read_message_id < message;
    WHEN 'message_deleted' THEN
        -- The BEFORE trigger has checked that the message exists and is not deleted yet.
        UPDATE messages
        SET is_deleted = true, deleted_at = e.created_at, deleted_by = e.actor_id
        WHERE id = message
        RETURNING sender_id INTO sender;
        UPDATE chats
        SET message_count = message_count - 1,
            last_message_id = CASE WHEN last_message_id = message
                                   THEN (SELECT max(m.id) FROM messages m
                                         WHERE m.chat_id = e.chat_id AND NOT m.is_deleted)
                                   ELSE last_message_id END
        WHERE id = e.chat_id;
        UPDATE chat_participants
        SET unread_count = unread_count - 1
        WHERE chat_id = e.chat_id AND user_id <> sender AND last_read_message_id < message;
    END CASE;
END
$$;

-- As in V3, plus the three columns above. A participant's unread count is recomputed against
-- the live read marker, which is not an event (yet).
CREATE OR REPLACE FUNCTION audit_replay()
RETURNS TABLE (projection text, row_key text, problem text, replayed jsonb, live jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.replay_chats') IS NOT NULL THEN
        DROP TABLE pg_temp.replay_chats, pg_temp.replay_chat_participants, pg_temp.replay_messages;
    END IF;

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

    CREATE TEMP TABLE replay_chats AS
    SELECT e.chat_id AS id, (e.payload ->> 'student_id')::bigint AS student_id,
           (e.payload ->> 'teacher_id')::bigint AS teacher_id, e.created_at,
           v.last_message_id, coalesce(v.message_count, 0) AS message_count
    FROM events e
    LEFT JOIN (SELECT m.chat_id, max(m.id) AS last_message_id, count(*) AS message_count
               FROM replay_messages m WHERE NOT m.is_deleted GROUP BY m.chat_id) v ON v.chat_id = e.chat_id
    WHERE e.type = 'chat_created';

    CREATE TEMP TABLE replay_chat_participants AS
    SELECT e.chat_id, p.user_id, p.role, e.created_at AS joined_at, count(m.id) AS unread_count
    FROM events e
    CROSS JOIN LATERAL (VALUES ((e.payload ->> 'teacher_id')::bigint, 'teacher'),
                               ((e.payload ->> 'student_id')::bigint, 'student')) AS p (user_id, role)
    LEFT JOIN chat_participants live ON live.chat_id = e.chat_id AND live.user_id = p.user_id
    LEFT JOIN replay_messages m ON m.chat_id = e.chat_id AND NOT m.is_deleted AND m.sender_id <> p.user_id
                               AND m.id > coalesce(live.last_read_message_id, 0)
    WHERE e.type = 'chat_created'
    GROUP BY e.chat_id, p.user_id, p.role, e.created_at;

    RETURN QUERY
    WITH replayed (projection, row_key, body) AS (
        SELECT 'chats', r.id::text, to_jsonb(r) FROM replay_chats r
        UNION ALL
        SELECT 'chat_participants', r.chat_id || '/' || r.user_id, to_jsonb(r) FROM replay_chat_participants r
        UNION ALL
        SELECT 'messages', r.id::text, to_jsonb(r) FROM replay_messages r
    ), live (projection, row_key, body) AS (
        SELECT 'chats', l.id::text, to_jsonb(l)
        FROM (SELECT id, student_id, teacher_id, created_at, last_message_id, message_count FROM chats) l
        UNION ALL
        SELECT 'chat_participants', l.chat_id || '/' || l.user_id, to_jsonb(l)
        FROM (SELECT chat_id, user_id, role::text, joined_at, unread_count FROM chat_participants) l
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
