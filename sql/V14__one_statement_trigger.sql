-- The statement's work on the read models in one trigger: events_after_insert.
--
-- V2 to V13 grew four AFTER ... FOR EACH STATEMENT triggers on events (events_apply_messages,
-- events_count_messages, events_notify, events_outbox), each a SECURITY DEFINER PL/pgSQL call
-- of its own over the same transition table, and all of it under the append lock (taken by
-- the first row's BEFORE trigger, held to commit), their order only that of their names.
-- Here they are one function, in the order they fired: messages, counters and unread counts,
-- the outbox, NOTIFY. (S1 measured no gain beyond its noise from the merge: the four calls
-- were not what the window under the lock costs; docs/bench/notes.md, 2026-11-23, takes the
-- window apart.) What each step does has not changed, except:
--
--   * the sender and closed-chat checks of a plain message are one statement;
--   * a chat's last_message_id is recomputed from messages only when the statement deleted a
--     message of it; otherwise it is the greater of the old one and the statement's newest
--     (message ids are taken under the append lock, so they rise with positions);
--   * the trigger is ENABLE ALWAYS, like events_before_insert and the V2 notify trigger: the
--     V11 and V13 statement triggers were not, so with session_replication_role = replica a
--     plain message got no messages row and no membership check. (Only a superuser can set
--     that role; the rules should hold for them too, as V2 promises.)

CREATE FUNCTION events_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    refused record;
    messages_created boolean;
    counted boolean;
    reads boolean;
    head bigint;
BEGIN
    SELECT bool_or(type = 'message_created'), bool_or(type IN ('message_created', 'message_deleted')),
           bool_or(type = 'chat_read'), max(position)
    INTO messages_created, counted, reads, head
    FROM appended;
    IF head IS NULL THEN
        RETURN NULL;
    END IF;

    IF messages_created THEN
        -- Each sender a member who joined before their message, each chat open (after the
        -- statement): the row rule or stricter; the appender retries a refused batch one
        -- event at a time (see V13).
        SELECT s.actor_id, s.chat_id, s.stranger INTO refused
        FROM (SELECT a.actor_id, a.chat_id, a.position, c.closed_at IS NOT NULL AS closed,
                     NOT EXISTS (SELECT 1 FROM chat_participants p
                                 WHERE p.chat_id = a.chat_id AND p.user_id = a.actor_id
                                   AND p.joined_position < a.position) AS stranger
              FROM appended a LEFT JOIN chats c ON c.id = a.chat_id
              WHERE a.type = 'message_created') s
        WHERE s.stranger OR s.closed
        ORDER BY s.stranger DESC, s.position
        LIMIT 1;
        IF FOUND AND refused.stranger THEN
            RAISE EXCEPTION 'user % is not a participant of chat %', refused.actor_id, refused.chat_id
                USING ERRCODE = 'insufficient_privilege';
        ELSIF FOUND THEN
            RAISE EXCEPTION 'chat % is closed: it is read-only', refused.chat_id
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;

        INSERT INTO messages (id, chat_id, sender_id, content, created_at, position, reply_to_id, attachments)
        SELECT (a.payload ->> 'message_id')::bigint, a.chat_id, a.actor_id, a.payload ->> 'content', a.created_at,
               a.position, (a.payload ->> 'reply_to_message_id')::bigint, a.payload -> 'attachments'
        FROM appended a WHERE a.type = 'message_created' ORDER BY a.position;

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

    -- Counters, last message and activity per chat; unread counts per member.
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
    END IF;

    IF reads THEN
        UPDATE chat_participants p
        SET unread_count = (SELECT count(*) FROM messages m
                            WHERE m.chat_id = p.chat_id AND NOT m.is_deleted
                              AND m.id > p.last_read_message_id AND m.sender_id <> p.user_id)
        FROM (SELECT DISTINCT a.chat_id, a.actor_id FROM appended a WHERE a.type = 'chat_read') r
        WHERE p.chat_id = r.chat_id AND p.user_id = r.actor_id;
    END IF;

    -- The outbox: each message of the statement to each other current member who is offline
    -- now, one foldable notice per user and chat.
    IF messages_created AND (SELECT enabled FROM notify_settings) THEN
        INSERT INTO notices AS n (user_id, chat_id, first_message_id, message_id, count, preview, created_at)
        SELECT p.user_id, a.chat_id, min((a.payload ->> 'message_id')::bigint), max((a.payload ->> 'message_id')::bigint),
               count(*),
               (array_agg(CASE WHEN a.payload ->> 'content' ~ '[^[:space:]]' THEN left(a.payload ->> 'content', 100)
                               ELSE '📎 ' || (a.payload -> 'attachments' -> 0 ->> 'name') END
                          ORDER BY a.position DESC))[1],
               min(a.created_at)
        FROM appended a
        JOIN chat_participants p ON p.chat_id = a.chat_id AND p.user_id <> a.actor_id
        WHERE a.type = 'message_created' AND NOT presence_online(p.user_id)
        GROUP BY p.user_id, a.chat_id
        ON CONFLICT (user_id, chat_id) WHERE state = 'pending'
        DO UPDATE SET count = n.count + excluded.count, message_id = excluded.message_id, preview = excluded.preview;
    END IF;

    -- Every replica's listener reads the log after its cursor when this arrives (at commit).
    PERFORM pg_notify('tutorchat_events', head::text);
    RETURN NULL;
END
$$;
ALTER FUNCTION events_after_insert() SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION events_after_insert() FROM PUBLIC;

DROP TRIGGER events_apply_messages ON events;
DROP TRIGGER events_count_messages ON events;
DROP TRIGGER events_outbox ON events;
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_apply_messages();
DROP FUNCTION events_count_messages();
DROP FUNCTION events_outbox();
DROP FUNCTION events_notify();

CREATE TRIGGER events_after_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION events_after_insert();
ALTER TABLE events ENABLE ALWAYS TRIGGER events_after_insert;
