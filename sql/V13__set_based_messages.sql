-- The write path set-based where it matters most: a plain message (text, no reply, no
-- attachments) costs its BEFORE row trigger no SQL statement at all.
--
-- V11's row trigger ran, for every message, a participant lookup, a closed-chat lookup, a
-- call of attachments_bind and of events_apply and the INSERT into messages: four or five
-- statements, each with its executor start-up, one row at a time under the append lock (S1's
-- profile: the row trigger was 64 % of the backends' time). Now the row trigger only numbers
-- a plain message (its position, time and message id, under the lock as before), and a
-- statement trigger, events_apply_messages, does the rest once per INSERT over its rows:
--
--   * refuses the statement if a message's sender is not a member who joined before it, or
--     its chat is closed (now, after the statement). This is the row check or stricter: a
--     batch it refuses because of a later event of the same statement (a sender removed after
--     their message, a chat closed after it) is retried one event at a time by the appender
--     (src/log/appender.rs), where each event meets the row semantics. Same errors, same codes;
--   * inserts every message of the statement into messages (reply and attachment messages
--     too: their row checks stay in the row trigger, their row goes in with the rest; the
--     attachments' foreign key to messages is deferred);
--   * gives a member added after a message of the same statement the read marker the row
--     trigger would have (the chat's newest message before they joined), before
--     events_count_messages counts unread messages.
--
-- AFTER triggers of one event fire in name order: events_apply_messages before
-- events_count_messages (which reads messages), events_notify and events_outbox.
--
-- One consequence: an event that names a message created by an earlier row of the same
-- statement (an edit, deletion, reply or read marker) does not find it and is refused; the
-- appender then appends the batch one event at a time, in order, and it is found. Through the
-- API this cannot happen at all (a message's id is known only once it is committed).

CREATE OR REPLACE FUNCTION events_apply(e events) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    student bigint := (e.payload ->> 'student_id')::bigint;
    teacher bigint := (e.payload ->> 'teacher_id')::bigint;
    member bigint := (e.payload ->> 'user_id')::bigint;
BEGIN
    CASE e.type
    WHEN 'chat_created' THEN
        IF e.payload ->> 'kind' = 'group' THEN
            INSERT INTO chats (id, kind, title, context, created_by, created_at, active_position, active_at)
            VALUES (e.chat_id, 'group', e.payload ->> 'title', e.payload -> 'context', e.actor_id, e.created_at,
                    e.position, e.created_at);
        ELSIF e.payload ->> 'kind' = 'inquiry' THEN
            INSERT INTO chats (id, kind, title, context, created_by, created_at, active_position, active_at)
            VALUES (e.chat_id, 'inquiry', e.payload ->> 'title', e.payload -> 'context', e.actor_id, e.created_at,
                    e.position, e.created_at);
            INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position)
            VALUES (e.chat_id, (e.payload ->> 'host_id')::bigint, 'teacher', e.created_at, e.position),
                   (e.chat_id, (e.payload ->> 'guest_id')::bigint, 'guest', e.created_at, e.position);
            INSERT INTO chat_memberships (user_id, chat_id, from_position)
            VALUES ((e.payload ->> 'host_id')::bigint, e.chat_id, e.position),
                   ((e.payload ->> 'guest_id')::bigint, e.chat_id, e.position);
        ELSE
            INSERT INTO chats (id, student_id, teacher_id, created_at, active_position, active_at)
            VALUES (e.chat_id, student, teacher, e.created_at, e.position, e.created_at);
            INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position)
            VALUES (e.chat_id, teacher, 'teacher', e.created_at, e.position),
                   (e.chat_id, student, 'student', e.created_at, e.position);
            INSERT INTO chat_memberships (user_id, chat_id, from_position)
            VALUES (teacher, e.chat_id, e.position), (student, e.chat_id, e.position);
        END IF;
    WHEN 'participant_added' THEN
        INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position, last_read_message_id)
        VALUES (e.chat_id, member, e.payload ->> 'role', e.created_at, e.position,
                coalesce((SELECT max(id) FROM messages WHERE chat_id = e.chat_id), 0));
        INSERT INTO chat_memberships (user_id, chat_id, from_position) VALUES (member, e.chat_id, e.position);
    WHEN 'participant_removed' THEN
        DELETE FROM chat_participants WHERE chat_id = e.chat_id AND user_id = member;
        UPDATE chat_memberships SET to_position = e.position
        WHERE chat_id = e.chat_id AND user_id = member AND to_position IS NULL;
    WHEN 'chat_renamed' THEN
        UPDATE chats SET title = e.payload ->> 'title' WHERE id = e.chat_id;
    WHEN 'chat_closed' THEN
        UPDATE chats SET closed_at = e.created_at WHERE id = e.chat_id;
    WHEN 'message_created' THEN
        NULL;  -- inserted into messages for the whole statement, by events_apply_messages
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
    chat record;
    member record;
    actor_role text;
    manager boolean;
    new_message_id bigint;
    attached jsonb;
BEGIN
    PERFORM pg_advisory_xact_lock(1953854575, 1);
    NEW.position := nextval('events_position_seq');
    NEW.created_at := clock_timestamp();

    -- A plain message (text, no reply, no attachments): its id, and nothing else per row.
    -- Its sender's membership and the chat's being open are checked, and its messages row
    -- inserted, for the whole statement by events_apply_messages.
    IF NEW.type = 'message_created' AND jsonb_typeof(NEW.payload -> 'content') = 'string'
       AND coalesce(NEW.payload -> 'reply_to_message_id', 'null') = 'null'
       AND coalesce(NEW.payload -> 'attachment_ids', 'null') IN ('null', '[]') THEN
        NEW.payload := jsonb_build_object('message_id', nextval('messages_id_seq'), 'content', NEW.payload ->> 'content');
        RETURN NEW;
    END IF;

    -- Messages and read markers come from a current participant of the chat.
    IF NEW.type IN ('message_created', 'message_deleted', 'message_edited', 'chat_read') AND NOT EXISTS (
        SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
        RAISE EXCEPTION 'user % is not a participant of chat %', NEW.actor_id, NEW.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    -- Membership and title changes: of a group, by its owner (who may also add themself back
    -- after leaving) or an admin; a member may remove themself (leave).
    IF NEW.type IN ('participant_added', 'participant_removed', 'chat_renamed') THEN
        SELECT c.kind, c.created_by INTO chat FROM chats c WHERE c.id = NEW.chat_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'chat % does not exist', NEW.chat_id USING ERRCODE = 'no_data_found';
        END IF;
        IF chat.kind <> 'group' THEN
            RAISE EXCEPTION 'chat % is a % chat: its members and title never change', NEW.chat_id, chat.kind
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT u.role INTO actor_role FROM users u WHERE u.id = NEW.actor_id;
        manager := actor_role = 'admin' OR NEW.actor_id = chat.created_by;
        IF NOT manager AND NOT (NEW.type = 'participant_removed'
                                AND NEW.payload -> 'user_id' = to_jsonb(NEW.actor_id)) THEN
            RAISE EXCEPTION 'only the owner of group % or an admin may do this', NEW.chat_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
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
        IF NEW.payload ->> 'kind' = 'group' THEN
            IF NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.actor_id AND role IN ('teacher', 'admin')) THEN
                RAISE EXCEPTION 'only a teacher or an admin may create a group'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT chat_title_valid(NEW.payload -> 'title') THEN
                RAISE EXCEPTION 'a group needs a title of 1 to 200 characters, not only whitespace'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.payload ? 'context' AND jsonb_typeof(NEW.payload -> 'context') NOT IN ('object', 'null') THEN
                RAISE EXCEPTION 'a group''s context must be an object'
                    USING ERRCODE = 'check_violation';
            END IF;
            NEW.payload := jsonb_build_object('kind', 'group', 'title', NEW.payload -> 'title')
                || CASE WHEN jsonb_typeof(NEW.payload -> 'context') = 'object'
                        THEN jsonb_build_object('context', NEW.payload -> 'context') ELSE '{}' END;
        ELSIF NEW.payload ->> 'kind' = 'inquiry' THEN
            -- Through inquiry_open(): a live link of this host, a guest without a chat.
            IF NEW.actor_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM inquiry_links l
                JOIN users h ON h.id = l.host_id AND h.role = 'teacher'
                JOIN users g ON g.id = NEW.actor_id AND g.role = 'guest'
                WHERE l.id = CASE WHEN jsonb_typeof(NEW.payload -> 'link_id') = 'number'
                                  THEN (NEW.payload ->> 'link_id')::bigint END
                  AND l.revoked_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM chat_participants p WHERE p.user_id = g.id)) THEN
                RAISE EXCEPTION 'an inquiry chat is opened by a new guest through a live inquiry link'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT l.id, l.host_id, l.title, l.context INTO chat FROM inquiry_links l
            WHERE l.id = (NEW.payload ->> 'link_id')::bigint;
            NEW.payload := jsonb_build_object('kind', 'inquiry', 'title', chat.title, 'link_id', chat.id,
                                              'host_id', chat.host_id, 'guest_id', NEW.actor_id)
                || CASE WHEN chat.context IS NOT NULL THEN jsonb_build_object('context', chat.context) ELSE '{}' END;
        ELSE
            IF jsonb_typeof(NEW.payload -> 'student_id') IS DISTINCT FROM 'number'
               OR jsonb_typeof(NEW.payload -> 'teacher_id') IS DISTINCT FROM 'number' THEN
                RAISE EXCEPTION 'chat_created needs numeric payload fields student_id and teacher_id'
                    USING ERRCODE = 'check_violation';
            END IF;
            -- Only the lesson trigger opens a direct chat (it appends at trigger depth 2, a
            -- direct INSERT is at depth 1), for the completed lesson its payload names, of a
            -- student and a teacher.
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
        END IF;
    WHEN 'participant_added' THEN
        SELECT u.id, u.role INTO member FROM users u
        WHERE u.id = CASE WHEN jsonb_typeof(NEW.payload -> 'user_id') = 'number'
                          THEN (NEW.payload ->> 'user_id')::bigint END;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'user % does not exist', NEW.payload -> 'user_id' USING ERRCODE = 'check_violation';
        END IF;
        IF member.role NOT IN ('student', 'teacher') THEN
            RAISE EXCEPTION 'user % is an admin: admins read every chat and are nobody''s members', member.id
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id AND user_id = member.id) THEN
            RETURN NULL;  -- already a member: nothing happened
        END IF;
        NEW.payload := jsonb_build_object('user_id', member.id, 'role', member.role);
    WHEN 'participant_removed' THEN
        IF NOT EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id
                       AND user_id = CASE WHEN jsonb_typeof(NEW.payload -> 'user_id') = 'number'
                                          THEN (NEW.payload ->> 'user_id')::bigint END) THEN
            RETURN NULL;  -- not a member (any more): nothing happened
        END IF;
        NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint);
    WHEN 'chat_renamed' THEN
        IF NOT chat_title_valid(NEW.payload -> 'title') THEN
            RAISE EXCEPTION 'a group needs a title of 1 to 200 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        IF (SELECT title FROM chats WHERE id = NEW.chat_id) = NEW.payload ->> 'title' THEN
            RETURN NULL;  -- the same title again: nothing happened
        END IF;
        NEW.payload := jsonb_build_object('title', NEW.payload -> 'title');
    WHEN 'chat_closed' THEN
        IF NEW.actor_id IS NOT NULL OR (SELECT kind FROM chats WHERE id = NEW.chat_id) IS DISTINCT FROM 'inquiry' THEN
            RAISE EXCEPTION 'only the system closes inquiry chats' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (SELECT closed_at FROM chats WHERE id = NEW.chat_id) IS NOT NULL THEN
            RETURN NULL;  -- closed already
        END IF;
        NEW.payload := jsonb_build_object('reason', coalesce(NEW.payload ->> 'reason', 'idle'));
    WHEN 'message_created' THEN
        IF (SELECT closed_at FROM chats WHERE id = NEW.chat_id) IS NOT NULL THEN
            RAISE EXCEPTION 'chat % is closed: it is read-only', NEW.chat_id
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF jsonb_typeof(NEW.payload -> 'content') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'message_created needs a string payload field content'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.payload ? 'reply_to_message_id' AND jsonb_typeof(NEW.payload -> 'reply_to_message_id') <> 'null' THEN
            reply_to := CASE WHEN jsonb_typeof(NEW.payload -> 'reply_to_message_id') = 'number'
                             THEN (NEW.payload ->> 'reply_to_message_id')::bigint END;
            -- A message of the chat that the sender can see (written since they joined).
            IF reply_to IS NULL OR NOT EXISTS (
                SELECT 1 FROM messages m JOIN chat_participants p ON p.chat_id = m.chat_id AND p.user_id = NEW.actor_id
                WHERE m.id = reply_to AND m.chat_id = NEW.chat_id AND m.position >= p.joined_position) THEN
                RAISE EXCEPTION 'reply_to_message_id % is not a message of chat %',
                    NEW.payload -> 'reply_to_message_id', NEW.chat_id
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        -- The log assigns message ids, under the lock, so they grow with positions.
        new_message_id := nextval('messages_id_seq');
        attached := attachments_bind(new_message_id, NEW.chat_id, NEW.actor_id, NEW.payload -> 'attachment_ids');
        NEW.payload := jsonb_build_object('message_id', new_message_id, 'content', NEW.payload ->> 'content');
        IF reply_to IS NOT NULL THEN
            NEW.payload := NEW.payload || jsonb_build_object('reply_to_message_id', reply_to);
        END IF;
        IF attached IS NOT NULL THEN
            NEW.payload := NEW.payload || jsonb_build_object('attachments', attached);
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
-- CREATE OR REPLACE resets a function's attributes: the rights V6 gave it, again.
ALTER FUNCTION events_before_insert() SECURITY DEFINER SET search_path = public, pg_temp;

CREATE FUNCTION events_apply_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    refused record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM appended WHERE type = 'message_created') THEN
        RETURN NULL;
    END IF;
    SELECT a.actor_id, a.chat_id INTO refused FROM appended a
    WHERE a.type = 'message_created' AND NOT EXISTS (
        SELECT 1 FROM chat_participants p
        WHERE p.chat_id = a.chat_id AND p.user_id = a.actor_id AND p.joined_position < a.position)
    ORDER BY a.position LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user % is not a participant of chat %', refused.actor_id, refused.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT a.chat_id INTO refused FROM appended a JOIN chats c ON c.id = a.chat_id
    WHERE a.type = 'message_created' AND c.closed_at IS NOT NULL
    ORDER BY a.position LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'chat % is closed: it is read-only', refused.chat_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    INSERT INTO messages (id, chat_id, sender_id, content, created_at, position, reply_to_id, attachments)
    SELECT (a.payload ->> 'message_id')::bigint, a.chat_id, a.actor_id, a.payload ->> 'content', a.created_at,
           a.position, (a.payload ->> 'reply_to_message_id')::bigint, a.payload -> 'attachments'
    FROM appended a WHERE a.type = 'message_created' ORDER BY a.position;

    IF EXISTS (SELECT 1 FROM appended WHERE type = 'participant_added') THEN
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
    RETURN NULL;
END
$$;
ALTER FUNCTION events_apply_messages() SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION events_apply_messages() FROM PUBLIC;
CREATE TRIGGER events_apply_messages AFTER INSERT ON events
    REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION events_apply_messages();
