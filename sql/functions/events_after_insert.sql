CREATE OR REPLACE FUNCTION events_after_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    refused record;
    messages_created boolean;
    mentioning boolean;
    counted boolean;
    head bigint;
BEGIN
    SELECT bool_or(type = 'message_created'), bool_or(type = 'message_created' AND payload ? 'mentions'),
           bool_or(type IN ('message_created', 'message_deleted')), max(position)
    INTO messages_created, mentioning, counted, head
    FROM appended;
    IF head IS NULL THEN
        RETURN NULL;
    END IF;

    IF messages_created THEN
        -- Each sender a member who joined before their message, each chat open (after the
        -- statement): the row rule or stricter; the appender retries a refused batch one
        -- event at a time (see V13).
        SELECT s.actor_id, s.chat_id, s.stranger, s.suspended, s.read_only, s.departed INTO refused
        FROM (SELECT a.actor_id, a.chat_id, a.position,
                     c.closed_at IS NOT NULL OR c.kind = 'family' AND NOT EXISTS (
                         SELECT 1 FROM family_children f WHERE f.guardian_id = c.guardian_id AND f.teacher_id = c.teacher_id) AS closed,
                     coalesce(c.announcement AND a.actor_id IS DISTINCT FROM c.created_by, false) AS read_only,
                     EXISTS (SELECT 1 FROM users t WHERE t.id = c.teacher_id AND t.deactivated_at IS NOT NULL) AS departed,
                     NOT EXISTS (SELECT 1 FROM chat_participants p
                                 WHERE p.chat_id = a.chat_id AND p.user_id = a.actor_id
                                   AND p.joined_position < a.position) AS stranger,
                     EXISTS (SELECT 1 FROM users u
                             WHERE u.id = a.actor_id
                               AND (u.suspended_until > a.created_at OR u.erasure_requested_at IS NOT NULL
                                    OR u.deactivated_at IS NOT NULL)) AS suspended
              FROM appended a LEFT JOIN chats c ON c.id = a.chat_id
              WHERE a.type = 'message_created') s
        WHERE s.stranger OR s.closed OR s.suspended OR s.read_only OR s.departed
        ORDER BY s.stranger DESC, s.suspended DESC, s.read_only DESC, s.departed DESC, s.position
        LIMIT 1;
        IF FOUND AND refused.stranger THEN
            RAISE EXCEPTION 'user % is not a participant of chat %', refused.actor_id, refused.chat_id
                USING ERRCODE = 'insufficient_privilege';
        ELSIF FOUND AND refused.suspended THEN
            -- Which of the two, asked only of a refusal (no cost to a statement that passes).
            IF EXISTS (SELECT 1 FROM users u WHERE u.id = refused.actor_id AND u.deactivated_at IS NOT NULL) THEN
                RAISE EXCEPTION 'user % is deactivated: they left the school', refused.actor_id
                    USING ERRCODE = 'insufficient_privilege', HINT = 'account_deactivated';
            END IF;
            RAISE EXCEPTION 'user % is suspended: they may read, not write', refused.actor_id
                USING ERRCODE = 'insufficient_privilege', HINT = 'account_suspended';
        ELSIF FOUND AND refused.read_only THEN
            RAISE EXCEPTION 'chat % is an announcement: only its owner posts, members read', refused.chat_id
                USING ERRCODE = 'insufficient_privilege', HINT = 'announcement_read_only';
        ELSIF FOUND AND refused.departed THEN
            RAISE EXCEPTION 'the teacher of chat % has left the school: it is read-only until an admin hands it over',
                refused.chat_id USING ERRCODE = 'insufficient_privilege', HINT = 'teacher_departed';
        ELSIF FOUND THEN
            RAISE EXCEPTION 'chat % is closed: it is read-only', refused.chat_id
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;

        -- Each message in its event's school (copied: the column's default is evaluated per row).
        INSERT INTO messages (id, chat_id, sender_id, content, created_at, position, reply_to_id, attachments,
                              school_id)
        SELECT (a.payload ->> 'message_id')::bigint, a.chat_id, a.actor_id, a.payload ->> 'content', a.created_at,
               a.position, (a.payload ->> 'reply_to_message_id')::bigint, a.payload -> 'attachments', a.school_id
        FROM appended a WHERE a.type = 'message_created' ORDER BY a.position;

        -- Whom they mention (the application resolved it, events_rule_message_created checked it).
        IF mentioning THEN
            INSERT INTO message_mentions (message_id, user_id, chat_id, school_id)
            SELECT (a.payload ->> 'message_id')::bigint, x::text::bigint, a.chat_id, a.school_id
            FROM appended a CROSS JOIN LATERAL jsonb_array_elements(a.payload -> 'mentions') x
            WHERE a.type = 'message_created' AND a.payload ? 'mentions';
        END IF;

        -- A member added after a message of the same statement: the read marker one event at
        -- a time would have given them (the chat's newest message before they joined).
        UPDATE chat_participants p SET last_read_message_id = j.newest
        FROM (SELECT a.chat_id, (a.payload ->> 'user_id')::bigint AS user_id, a.position,
                     (SELECT max(m.id) FROM messages m WHERE m.chat_id = a.chat_id AND m.position < a.position) AS newest
              FROM appended a
              WHERE a.type = 'participant_added' AND EXISTS (
                  SELECT 1 FROM appended b
                  WHERE b.type = 'message_created' AND b.chat_id = a.chat_id AND b.position < a.position)) j
        WHERE p.chat_id = j.chat_id AND p.user_id = j.user_id AND p.joined_position = j.position
          AND j.newest > p.last_read_message_id;
    END IF;

    -- Counters, last message and activity per chat. Nothing per member: their unread counts
    -- are derived when read (chat_unread).
    IF counted THEN
        WITH changes AS (
        SELECT a.chat_id, CASE a.type WHEN 'message_created' THEN 1 ELSE -1 END AS sign,
               CASE a.type WHEN 'message_created' THEN a.position END AS created_position,
               CASE a.type WHEN 'message_created' THEN (a.payload ->> 'message_id')::bigint END AS created_id,
               a.created_at
        FROM appended a WHERE a.type IN ('message_created', 'message_deleted')
    )
    UPDATE chats c
    SET message_count = c.message_count + d.delta,
        last_message_id = CASE WHEN d.deletions THEN (SELECT max(m.id) FROM messages m WHERE m.chat_id = c.id AND NOT m.is_deleted)
                               ELSE greatest(c.last_message_id, d.newest_id) END,
        active_position = greatest(c.active_position, d.newest),
        active_at = CASE WHEN d.newest > c.active_position THEN d.newest_at ELSE c.active_at END
    FROM (SELECT chat_id, sum(sign) AS delta, max(created_position) AS newest, max(created_id) AS newest_id,
                 bool_or(sign < 0) AS deletions,
                 max(created_at) FILTER (WHERE created_position IS NOT NULL) AS newest_at
          FROM changes GROUP BY chat_id) d
    WHERE c.id = d.chat_id;
    END IF;

    -- Every replica's listener reads the log after its cursor when this arrives (at commit);
    -- events_append leaves it to its caller, after the commit.
    IF coalesce(current_setting('tutorchat.block', true), '') = '' THEN
        PERFORM pg_notify('tutorchat_events', head::text);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION events_after_insert() IS 'Once per INSERT statement on events, over its
rows, in this order: plain messages'' sender (a member who joined before, not suspended, the
owner of an announcement), closed-chat and departed-teacher (a direct chat whose teacher is
deactivated: read-only, HINT teacher_departed) checks and their messages rows, and the rows of whom
they mention (message_mentions); each chat''s last message, message count and activity (no
member''s row: unread counts are derived when read, chat_unread); and the one NOTIFY on ''tutorchat_events'' with the statement''s highest
position (not for events_append''s INSERT: its caller notifies, after the commit). Nothing per
member: offline notices are written after the commit, from the log (notices_fan_out).';

REVOKE ALL ON FUNCTION events_after_insert() FROM PUBLIC;

CREATE OR REPLACE TRIGGER events_after_insert AFTER INSERT ON events REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION events_after_insert();

ALTER TABLE events ENABLE ALWAYS TRIGGER events_after_insert;
