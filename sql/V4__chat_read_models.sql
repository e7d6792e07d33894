-- Read models for the chat lists, kept by the event log's trigger like the other projections.
--
-- Before this, a chat list looked up each chat's newest message and counted each chat's unread
-- messages at read time: about 10,000 buffer hits for a teacher with 500 chats (see
-- docs/benchmarks.md, S4). Now appends keep them, and a chat list reads one row per chat.
--
-- They are kept per INSERT statement, not per row: the statement trigger below updates each
-- chat the statement touched once, and each of its participants once, however many messages
-- the statement appended to it (the writer appends up to 256 events in one statement). Per
-- row, a busy chat's row was updated once per message in the same transaction, and S1 lost a
-- quarter of its throughput.
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

-- Appends update chats and chat_participants rows. None of the updated columns is indexed, so
-- with free space on the page an update stays on it (a HOT update) and touches no index.
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

-- Keeps chats.last_message_id, chats.message_count and chat_participants.unread_count for the
-- messages an INSERT statement created or deleted. Runs after the row triggers (events_apply,
-- in V2) have updated `messages`, so it reads the messages as the statement left them.
CREATE FUNCTION events_count_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- changes: +1 for each message the statement created, -1 for each it deleted.
    WITH changes AS (
        SELECT a.chat_id, CASE a.type WHEN 'message_created' THEN 1 ELSE -1 END AS sign
        FROM appended a WHERE a.type IN ('message_created', 'message_deleted')
    )
    UPDATE chats c
    SET message_count = c.message_count + d.delta,
        last_message_id = (SELECT max(m.id) FROM messages m WHERE m.chat_id = c.id AND NOT m.is_deleted)
    FROM (SELECT chat_id, sum(sign) AS delta FROM changes GROUP BY chat_id) d
    WHERE c.id = d.chat_id;

    -- A deletion's actor is the message's sender: only the author may delete (the BEFORE trigger).
    WITH changes AS (
        SELECT a.chat_id, (a.payload ->> 'message_id')::bigint AS message_id, a.actor_id AS sender_id,
               CASE a.type WHEN 'message_created' THEN 1 ELSE -1 END AS sign
        FROM appended a WHERE a.type IN ('message_created', 'message_deleted')
    )
    UPDATE chat_participants p
    SET unread_count = p.unread_count + d.delta
    FROM (SELECT r.id, sum(x.sign) AS delta
          FROM changes x
          JOIN chat_participants r ON r.chat_id = x.chat_id AND r.user_id <> x.sender_id
                                  AND x.message_id > r.last_read_message_id
          GROUP BY r.id) d
    WHERE p.id = d.id AND d.delta <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_count_messages AFTER INSERT ON events
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION events_count_messages();
ALTER TABLE events ENABLE ALWAYS TRIGGER events_count_messages;

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
