-- Read markers, edits and replies: two new event types and one new payload field, projected
-- like the others by the log's triggers, in the appending transaction.
--
--   chat_read        actor = the reader, payload {"up_to_message_id": N}. Moves the reader's
--                    chat_participants.last_read_message_id forward to N (never back: a read
--                    at or below the marker appends nothing) and recounts their unread_count.
--   message_edited   actor = the author, payload {"message_id", "content"}: the new text. The
--                    old text stays in the log (audit_chat_timeline shows every version);
--                    messages.content is the newest, messages.edited_at when it was written.
--                    An identical text appends nothing; a deleted message cannot be edited.
--   message_created  payload may carry "reply_to_message_id": a message of the same chat
--                    (deleted or not), projected as messages.reply_to_id.
--
-- Unread counts stay read models (one row per participant, O(chats) per chat list): a
-- statement's messages move them by +1/-1 as before, except for the participants whose marker
-- the statement moved, whose count is recounted once from their new marker (counting only the
-- unread messages, through idx_messages_chat_visible).

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check
    CHECK (type IN ('chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read')) NOT VALID;
-- Validating scans the log once but lets appends go on meanwhile.
ALTER TABLE events VALIDATE CONSTRAINT events_type_check;

ALTER TABLE messages
    ADD COLUMN edited_at   timestamptz,
    ADD COLUMN reply_to_id bigint REFERENCES messages (id);

-- Replies to a message (a foreign key's referencing side is not indexed by itself).
CREATE INDEX idx_messages_reply_to ON messages (reply_to_id) WHERE reply_to_id IS NOT NULL;

CREATE OR REPLACE FUNCTION events_apply(e events) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    student bigint := (e.payload ->> 'student_id')::bigint;
    teacher bigint := (e.payload ->> 'teacher_id')::bigint;
BEGIN
    CASE e.type
    WHEN 'chat_created' THEN
        INSERT INTO chats (id, student_id, teacher_id, created_at)
        VALUES (e.chat_id, student, teacher, e.created_at);
        INSERT INTO chat_participants (chat_id, user_id, role, joined_at)
        VALUES (e.chat_id, teacher, 'teacher', e.created_at),
               (e.chat_id, student, 'student', e.created_at);
    WHEN 'message_created' THEN
        INSERT INTO messages (id, chat_id, sender_id, content, created_at, position, reply_to_id)
        VALUES ((e.payload ->> 'message_id')::bigint, e.chat_id, e.actor_id,
                e.payload ->> 'content', e.created_at, e.position,
                (e.payload ->> 'reply_to_message_id')::bigint);
    WHEN 'message_deleted' THEN
        UPDATE messages
        SET is_deleted = true, deleted_at = e.created_at, deleted_by = e.actor_id
        WHERE id = (e.payload ->> 'message_id')::bigint;
    WHEN 'message_edited' THEN
        UPDATE messages
        SET content = e.payload ->> 'content', edited_at = e.created_at
        WHERE id = (e.payload ->> 'message_id')::bigint;
    WHEN 'chat_read' THEN
        -- unread_count is recounted by the statement trigger (events_count_messages).
        UPDATE chat_participants
        SET last_read_message_id = (e.payload ->> 'up_to_message_id')::bigint
        WHERE chat_id = e.chat_id AND user_id = e.actor_id;
    END CASE;
END
$$;
REVOKE EXECUTE ON FUNCTION events_apply(events) FROM PUBLIC;

CREATE OR REPLACE FUNCTION events_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target record;
    reply_to bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(1953854575, 1);
    NEW.position := nextval('events_position_seq');
    NEW.created_at := clock_timestamp();

    -- Events of people (all but chat_created) come from a participant of the chat.
    IF NEW.type <> 'chat_created' AND NOT EXISTS (
        SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
        RAISE EXCEPTION 'user % is not a participant of chat %', NEW.actor_id, NEW.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    -- Events about one message: read it after taking the lock (every earlier append has
    -- committed and is visible).
    IF NEW.type IN ('message_deleted', 'message_edited') THEN
        SELECT m.chat_id, m.sender_id, m.is_deleted, m.content INTO target
        FROM messages m
        WHERE m.id = CASE WHEN jsonb_typeof(NEW.payload -> 'message_id') = 'number'
                          THEN (NEW.payload ->> 'message_id')::bigint END;
        IF NOT FOUND OR target.chat_id <> NEW.chat_id THEN
            RAISE EXCEPTION 'message % does not exist in chat %', NEW.payload -> 'message_id', NEW.chat_id
                USING ERRCODE = 'no_data_found';
        END IF;
        IF target.sender_id IS DISTINCT FROM NEW.actor_id THEN
            RAISE EXCEPTION 'only the author may % message %',
                CASE NEW.type WHEN 'message_deleted' THEN 'delete' ELSE 'edit' END, NEW.payload -> 'message_id'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;

    CASE NEW.type
    WHEN 'chat_created' THEN
        IF jsonb_typeof(NEW.payload -> 'student_id') IS DISTINCT FROM 'number'
           OR jsonb_typeof(NEW.payload -> 'teacher_id') IS DISTINCT FROM 'number' THEN
            RAISE EXCEPTION 'chat_created needs numeric payload fields student_id and teacher_id'
                USING ERRCODE = 'check_violation';
        END IF;
        -- Only the lesson trigger opens a chat (it appends at trigger depth 2, a direct INSERT
        -- is at depth 1), for the completed lesson its payload names, of a student and a teacher.
        IF pg_trigger_depth() < 2 OR NEW.actor_id IS NOT NULL OR NOT EXISTS (
            SELECT 1 FROM lessons l
            JOIN users s ON s.id = l.student_id AND s.role = 'student'
            JOIN users t ON t.id = l.teacher_id AND t.role = 'teacher'
            WHERE l.id = CASE WHEN jsonb_typeof(NEW.payload -> 'lesson_id') = 'number'
                              THEN (NEW.payload ->> 'lesson_id')::bigint END
              AND l.status = 'completed'
              AND l.student_id = (NEW.payload ->> 'student_id')::bigint
              AND l.teacher_id = (NEW.payload ->> 'teacher_id')::bigint) THEN
            RAISE EXCEPTION 'chat_created is appended only by the lesson trigger, for a completed lesson of a student and a teacher'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    WHEN 'message_created' THEN
        IF jsonb_typeof(NEW.payload -> 'content') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'message_created needs a string payload field content'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.payload ? 'reply_to_message_id' AND jsonb_typeof(NEW.payload -> 'reply_to_message_id') <> 'null' THEN
            reply_to := CASE WHEN jsonb_typeof(NEW.payload -> 'reply_to_message_id') = 'number'
                             THEN (NEW.payload ->> 'reply_to_message_id')::bigint END;
            IF reply_to IS NULL OR NOT EXISTS (
                SELECT 1 FROM messages WHERE id = reply_to AND chat_id = NEW.chat_id) THEN
                RAISE EXCEPTION 'reply_to_message_id % is not a message of chat %',
                    NEW.payload -> 'reply_to_message_id', NEW.chat_id
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        -- The log assigns message ids, under the lock, so they grow with positions.
        NEW.payload := jsonb_build_object('message_id', nextval('messages_id_seq'),
                                          'content', NEW.payload ->> 'content');
        IF reply_to IS NOT NULL THEN
            NEW.payload := NEW.payload || jsonb_build_object('reply_to_message_id', reply_to);
        END IF;
    WHEN 'message_deleted' THEN
        IF target.is_deleted THEN
            RETURN NULL;  -- deleting twice is a no-op: no second event
        END IF;
        NEW.payload := jsonb_build_object('message_id', (NEW.payload ->> 'message_id')::bigint);
    WHEN 'message_edited' THEN
        IF jsonb_typeof(NEW.payload -> 'content') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'message_edited needs a string payload field content'
                USING ERRCODE = 'check_violation';
        END IF;
        IF target.is_deleted THEN
            RAISE EXCEPTION 'message % is deleted and cannot be edited', NEW.payload -> 'message_id'
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF target.content = NEW.payload ->> 'content' THEN
            RETURN NULL;  -- the same text again is a no-op: no event
        END IF;
        NEW.payload := jsonb_build_object('message_id', (NEW.payload ->> 'message_id')::bigint,
                                          'content', NEW.payload ->> 'content');
    WHEN 'chat_read' THEN
        SELECT m.chat_id INTO target
        FROM messages m
        WHERE m.id = CASE WHEN jsonb_typeof(NEW.payload -> 'up_to_message_id') = 'number'
                          THEN (NEW.payload ->> 'up_to_message_id')::bigint END;
        IF NOT FOUND OR target.chat_id <> NEW.chat_id THEN
            RAISE EXCEPTION 'up_to_message_id % is not a message of chat %', NEW.payload -> 'up_to_message_id', NEW.chat_id
                USING ERRCODE = 'check_violation';
        END IF;
        -- Markers only move forward; under the lock, so concurrent reads cannot reorder them.
        IF (NEW.payload ->> 'up_to_message_id')::bigint <= (
            SELECT last_read_message_id FROM chat_participants
            WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
            RETURN NULL;
        END IF;
        NEW.payload := jsonb_build_object('up_to_message_id', (NEW.payload ->> 'up_to_message_id')::bigint);
    END CASE;
    PERFORM events_apply(NEW);
    RETURN NEW;
END
$$;

-- As in V4, for the messages a statement created or deleted; plus a recount for each
-- participant whose marker the statement moved (their count is then exact from the new
-- marker, so the statement's +1/-1 must not be added to it again).
CREATE OR REPLACE FUNCTION events_count_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reads boolean := EXISTS (SELECT 1 FROM appended WHERE type = 'chat_read');
BEGIN
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
          WHERE NOT (reads AND EXISTS (SELECT 1 FROM appended a WHERE a.type = 'chat_read'
                                       AND a.chat_id = r.chat_id AND a.actor_id = r.user_id))
          GROUP BY r.id) d
    WHERE p.id = d.id AND d.delta <> 0;

    IF reads THEN
        UPDATE chat_participants p
        SET unread_count = (SELECT count(*) FROM messages m
                            WHERE m.chat_id = p.chat_id AND NOT m.is_deleted
                              AND m.id > p.last_read_message_id AND m.sender_id <> p.user_id)
        FROM (SELECT DISTINCT a.chat_id, a.actor_id FROM appended a WHERE a.type = 'chat_read') r
        WHERE p.chat_id = r.chat_id AND p.user_id = r.actor_id;
    END IF;
    RETURN NULL;
END
$$;

-- CREATE OR REPLACE resets a function's attributes: the rights V6 gave them, again.
ALTER FUNCTION events_before_insert() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION events_count_messages() SECURITY DEFINER SET search_path = public, pg_temp;

-- Every event of a chat in log order. For an edit, `content` is the new text; for a deletion,
-- the text as it was when deleted; for a read, the marker (`message_id` = up to which).
-- `reply_to_message_id`: the message a new message answers.
DROP FUNCTION audit_chat_timeline(bigint);
CREATE FUNCTION audit_chat_timeline(p_chat_id bigint)
RETURNS TABLE (event_position bigint, occurred_at timestamptz, event_type text,
               actor_id bigint, actor_name text, message_id bigint, content text,
               reply_to_message_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.position, e.created_at, e.type, e.actor_id,
           CASE WHEN e.actor_id IS NULL THEN '(system)' ELSE u.name END,
           coalesce((e.payload ->> 'message_id')::bigint, (e.payload ->> 'up_to_message_id')::bigint),
           CASE e.type
               WHEN 'message_created' THEN e.payload ->> 'content'
               WHEN 'message_edited' THEN e.payload ->> 'content'
               WHEN 'message_deleted' THEN (
                   SELECT v.payload ->> 'content' FROM events v
                   WHERE v.chat_id = e.chat_id AND v.position < e.position
                     AND v.type IN ('message_created', 'message_edited')
                     AND v.payload -> 'message_id' = e.payload -> 'message_id'
                   ORDER BY v.position DESC LIMIT 1)
               WHEN 'chat_read' THEN format('read up to message %s', e.payload ->> 'up_to_message_id')
               WHEN 'chat_created' THEN format('chat opened for student %s and teacher %s (lesson %s)',
                   e.payload ->> 'student_id', e.payload ->> 'teacher_id', e.payload ->> 'lesson_id')
           END,
           (e.payload ->> 'reply_to_message_id')::bigint
    FROM events e
    LEFT JOIN users u ON u.id = e.actor_id
    WHERE e.chat_id = p_chat_id
    ORDER BY e.position
$$;

-- The messages of a chat as they stood at p_at: those written by then, their text as last
-- edited by then (edited_at: when; NULL if not edited by then), and whether they had been
-- deleted by then.
DROP FUNCTION audit_chat_at(bigint, timestamptz);
CREATE FUNCTION audit_chat_at(p_chat_id bigint, p_at timestamptz)
RETURNS TABLE (message_id bigint, sender_id bigint, sender_name text, content text,
               created_at timestamptz, is_deleted boolean, deleted_at timestamptz,
               edited_at timestamptz, reply_to_message_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT (m.payload ->> 'message_id')::bigint, m.actor_id, u.name,
           coalesce(v.content, m.payload ->> 'content'),
           m.created_at, d.deleted_at IS NOT NULL, d.deleted_at, v.edited_at,
           (m.payload ->> 'reply_to_message_id')::bigint
    FROM events m
    JOIN users u ON u.id = m.actor_id
    LEFT JOIN LATERAL (
        SELECT min(x.created_at) AS deleted_at FROM events x
        WHERE x.chat_id = m.chat_id AND x.type = 'message_deleted'
          AND x.payload -> 'message_id' = m.payload -> 'message_id'
          AND x.created_at <= p_at
    ) d ON true
    LEFT JOIN LATERAL (
        SELECT x.payload ->> 'content' AS content, x.created_at AS edited_at FROM events x
        WHERE x.chat_id = m.chat_id AND x.type = 'message_edited'
          AND x.payload -> 'message_id' = m.payload -> 'message_id'
          AND x.created_at <= p_at
        ORDER BY x.position DESC LIMIT 1
    ) v ON true
    WHERE m.chat_id = p_chat_id AND m.type = 'message_created' AND m.created_at <= p_at
    ORDER BY m.position
$$;

-- As in V4, plus edits (content, edited_at), replies (reply_to_id) and read markers
-- (last_read_message_id, replayed from chat_read; unread counts from the replayed markers).
-- Each kind of event is gathered once and joined by message id, so a replay costs a few
-- scans of the log, not one per message.
CREATE OR REPLACE FUNCTION audit_replay()
RETURNS TABLE (projection text, row_key text, problem text, replayed jsonb, live jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.replay_chats') IS NOT NULL THEN
        DROP TABLE pg_temp.replay_chats, pg_temp.replay_chat_participants, pg_temp.replay_messages;
    END IF;

    CREATE TEMP TABLE replay_messages AS
    WITH deletions AS (
        SELECT DISTINCT ON (x.payload -> 'message_id') x.payload -> 'message_id' AS message_id,
               x.created_at, x.actor_id
        FROM events x WHERE x.type = 'message_deleted'
        ORDER BY x.payload -> 'message_id', x.position
    ), edits AS (
        SELECT DISTINCT ON (x.payload -> 'message_id') x.payload -> 'message_id' AS message_id,
               x.payload ->> 'content' AS content, x.created_at
        FROM events x WHERE x.type = 'message_edited'
        ORDER BY x.payload -> 'message_id', x.position DESC
    )
    SELECT (c.payload ->> 'message_id')::bigint AS id, c.chat_id, c.actor_id AS sender_id,
           coalesce(v.content, c.payload ->> 'content') AS content, d.message_id IS NOT NULL AS is_deleted,
           c.created_at, d.created_at AS deleted_at, d.actor_id AS deleted_by, c.position,
           v.created_at AS edited_at, (c.payload ->> 'reply_to_message_id')::bigint AS reply_to_id
    FROM events c
    LEFT JOIN deletions d ON d.message_id = c.payload -> 'message_id'
    LEFT JOIN edits v ON v.message_id = c.payload -> 'message_id'
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
    WITH markers AS (
        SELECT x.chat_id, x.actor_id AS user_id, max((x.payload ->> 'up_to_message_id')::bigint) AS up_to
        FROM events x WHERE x.type = 'chat_read' GROUP BY x.chat_id, x.actor_id
    ), members AS (
        SELECT e.chat_id, p.user_id, p.role, e.created_at AS joined_at, coalesce(k.up_to, 0) AS last_read_message_id
        FROM events e
        CROSS JOIN LATERAL (VALUES ((e.payload ->> 'teacher_id')::bigint, 'teacher'),
                                   ((e.payload ->> 'student_id')::bigint, 'student')) AS p (user_id, role)
        LEFT JOIN markers k ON k.chat_id = e.chat_id AND k.user_id = p.user_id
        WHERE e.type = 'chat_created'
    )
    SELECT p.chat_id, p.user_id, p.role, p.joined_at, p.last_read_message_id, count(m.id) AS unread_count
    FROM members p
    LEFT JOIN replay_messages m ON m.chat_id = p.chat_id AND NOT m.is_deleted AND m.sender_id <> p.user_id
                               AND m.id > p.last_read_message_id
    GROUP BY p.chat_id, p.user_id, p.role, p.joined_at, p.last_read_message_id;

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
        FROM (SELECT chat_id, user_id, role::text, joined_at, last_read_message_id, unread_count
              FROM chat_participants) l
        UNION ALL
        SELECT 'messages', l.id::text, to_jsonb(l)
        FROM (SELECT id, chat_id, sender_id, content, is_deleted, created_at, deleted_at,
                     deleted_by, position, edited_at, reply_to_id FROM messages) l
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
