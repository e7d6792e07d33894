-- Group chats: chats whose membership changes, and every change an event of the log; and
-- inquiry chats, which a visitor without an account opens through a teacher's link.
--
--   chat_created         as before for a lesson pair (appended by the lesson trigger). For a
--                        group: actor = its creator (a teacher or an admin), payload
--                        {"kind": "group", "title", "context"?}; it has no members yet.
--   participant_added    actor = who added, payload {"user_id", "role"} (the member's role,
--                        recorded so that a replay needs nothing but the log). By the group's
--                        owner (its creator) or an admin. Adding a member twice appends nothing.
--   participant_removed  actor = who removed (the member themself: they left), payload
--                        {"user_id"}. By the owner, an admin, or the member.
--                        Removing a non-member appends nothing.
--   chat_renamed         actor = who renamed, payload {"title"}. By the owner or an admin.
--
-- Membership is exact in log order. chat_memberships keeps every membership interval
-- [from_position, to_position] (to_position: the participant_removed event's; NULL while a
-- member): a stream that resumes replays exactly the events inside its user's intervals, and
-- the hub applies the same events in the same order live, so a member gets the event that
-- added them and every later one, and a removed member the event that removed them and
-- nothing after it. chat_participants stays the current members (a removal deletes the row)
-- with their read markers; a new member's marker starts at the chat's newest message, so
-- nothing from before they joined is unread for them (and history shows them nothing from
-- before: see src/api/messages.rs).
--
-- Direct chats (the lesson pairs) keep their rules: created only by the lesson trigger,
-- members fixed, no membership events.
--
-- Inquiries. A teacher (or an admin, naming a teacher) creates an inquiry link
-- (inquiry_links: configuration of the school, like lessons, not chat content). A visitor who
-- opens it gives a name; inquiry_open() then creates a user with the role 'guest' and appends
-- chat_created {"kind": "inquiry", "title", "context", "link_id", "host_id", "guest_id"}: a
-- chat of two fixed members, the link's teacher and the guest, like a direct chat. The log
-- accepts that event only for a link that is not revoked, of that host, and a guest who has
-- no chat yet. chat_closed (actor NULL, payload {"reason": "idle"}) makes an inquiry chat
-- read-only: replicas append it once the chat has been idle for INQUIRY_IDLE_SECS; the log
-- refuses messages to a closed chat.
--
-- And a chat's last activity as a log position, for chat lists paged by activity:
--
--   chats.active_position  the position of the chat's newest message_created (deleted or not),
--                          or of its chat_created while it has none
--   chats.active_at        that event's time
--
-- A page of a chat list is ordered by (active_position DESC, id DESC) and its cursor carries the
-- log head of the first page: later pages rank every chat by its activity as of that head, so a
-- chat that gets a message while someone pages moves neither into a page they already have nor
-- out of one they have not reached (see src/api/chats.rs). A deletion does not move a chat:
-- writing is activity, removing is not, and positions only grow. Kept by the statement trigger
-- that already updates each chat once per INSERT statement (events_count_messages): two more
-- columns in the same row update and no new index, so the update stays HOT.

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check
    CHECK (type IN ('chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
                    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed')) NOT VALID;
ALTER TABLE events VALIDATE CONSTRAINT events_type_check;

ALTER TABLE chats
    ADD COLUMN kind       text NOT NULL DEFAULT 'direct'
                          CONSTRAINT chats_kind CHECK (kind IN ('direct', 'group', 'inquiry')),
    ADD COLUMN title      text,
    ADD COLUMN context    jsonb,
    ADD COLUMN created_by bigint REFERENCES users (id),
    ADD COLUMN active_position bigint,
    ADD COLUMN active_at timestamptz,
    ADD COLUMN closed_at timestamptz;

UPDATE chats c SET active_position = x.position, active_at = x.created_at
FROM (SELECT DISTINCT ON (chat_id) chat_id, position, created_at FROM events
      WHERE type IN ('chat_created', 'message_created') ORDER BY chat_id, position DESC) x
WHERE x.chat_id = c.id;
ALTER TABLE chats ALTER COLUMN active_position SET NOT NULL, ALTER COLUMN active_at SET NOT NULL;

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('student', 'teacher', 'admin', 'guest'));
ALTER TABLE chat_participants DROP CONSTRAINT chat_participants_role_check;
ALTER TABLE chat_participants ADD CONSTRAINT chat_participants_role_check CHECK (role IN ('student', 'teacher', 'guest'));

CREATE TABLE inquiry_links (
    id         bigserial PRIMARY KEY,
    token      text NOT NULL UNIQUE CHECK (char_length(token) BETWEEN 20 AND 64),
    host_id    bigint NOT NULL REFERENCES users (id),
    created_by bigint NOT NULL REFERENCES users (id),
    title      text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    context    jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX idx_inquiry_links_host ON inquiry_links (host_id);

ALTER TABLE chat_participants ADD COLUMN joined_position bigint;
UPDATE chat_participants p SET joined_position = e.position
FROM events e WHERE e.type = 'chat_created' AND e.chat_id = p.chat_id;
ALTER TABLE chat_participants ALTER COLUMN joined_position SET NOT NULL;

CREATE TABLE chat_memberships (
    user_id       bigint NOT NULL REFERENCES users (id),
    chat_id       bigint NOT NULL REFERENCES chats (id),
    from_position bigint NOT NULL,
    to_position   bigint,
    PRIMARY KEY (user_id, chat_id, from_position),
    CONSTRAINT chat_memberships_order CHECK (to_position IS NULL OR to_position > from_position)
);
-- One open interval per member (what the removal closes).
CREATE UNIQUE INDEX chat_memberships_open ON chat_memberships (chat_id, user_id) WHERE to_position IS NULL;

INSERT INTO chat_memberships (user_id, chat_id, from_position)
SELECT user_id, chat_id, joined_position FROM chat_participants;

GRANT SELECT ON chat_memberships TO tutorchat_app;
GRANT SELECT, INSERT ON inquiry_links TO tutorchat_app;
GRANT UPDATE (revoked_at) ON inquiry_links TO tutorchat_app;
GRANT USAGE ON SEQUENCE inquiry_links_id_seq TO tutorchat_app;
-- A group's id is drawn by the replica that creates it, so that the chat_created and the
-- participant_added events of its members go into the log in one statement.
GRANT USAGE ON SEQUENCE chats_id_seq TO tutorchat_app;

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

-- A group title: a string of 1 to 200 characters that is not only whitespace.
CREATE FUNCTION chat_title_valid(p_title jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(p_title) = 'string'
       AND char_length(p_title #>> '{}') BETWEEN 1 AND 200
       AND (p_title #>> '{}') ~ '[^[:space:]]'
$$;

CREATE OR REPLACE FUNCTION events_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target record;
    reply_to bigint;
    chat record;
    member record;
    actor_role text;
    manager boolean;
BEGIN
    PERFORM pg_advisory_xact_lock(1953854575, 1);
    NEW.position := nextval('events_position_seq');
    NEW.created_at := clock_timestamp();

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
-- CREATE OR REPLACE resets a function's attributes: the rights V6 gave it, again.
ALTER FUNCTION events_before_insert() SECURITY DEFINER SET search_path = public, pg_temp;

-- As in V7, plus each chat's activity from the messages the statement created.
CREATE OR REPLACE FUNCTION events_count_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reads boolean := EXISTS (SELECT 1 FROM appended WHERE type = 'chat_read');
BEGIN
    WITH changes AS (
        SELECT a.chat_id, CASE a.type WHEN 'message_created' THEN 1 ELSE -1 END AS sign,
               CASE a.type WHEN 'message_created' THEN a.position END AS created_position,
               a.created_at
        FROM appended a WHERE a.type IN ('message_created', 'message_deleted')
    )
    UPDATE chats c
    SET message_count = c.message_count + d.delta,
        last_message_id = (SELECT max(m.id) FROM messages m WHERE m.chat_id = c.id AND NOT m.is_deleted),
        active_position = greatest(c.active_position, d.newest),
        active_at = CASE WHEN d.newest > c.active_position THEN d.newest_at ELSE c.active_at END
    FROM (SELECT chat_id, sum(sign) AS delta, max(created_position) AS newest,
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
ALTER FUNCTION events_count_messages() SECURITY DEFINER SET search_path = public, pg_temp;

-- Every event of a chat in log order, as V7, plus groups: `content` describes a creation,
-- a join, a leave or removal and a rename; `member_id` is whom a membership event is about.
DROP FUNCTION audit_chat_timeline(bigint);
CREATE FUNCTION audit_chat_timeline(p_chat_id bigint)
RETURNS TABLE (event_position bigint, occurred_at timestamptz, event_type text,
               actor_id bigint, actor_name text, message_id bigint, content text,
               reply_to_message_id bigint, member_id bigint)
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
               WHEN 'chat_created' THEN
                   CASE WHEN e.payload ->> 'kind' = 'group'
                        THEN format('group %s created', e.payload -> 'title')
                        WHEN e.payload ->> 'kind' = 'inquiry'
                        THEN format('inquiry %s opened by guest %s with teacher %s (link %s)', e.payload -> 'title',
                                    e.payload ->> 'guest_id', e.payload ->> 'host_id', e.payload ->> 'link_id')
                        ELSE format('chat opened for student %s and teacher %s (lesson %s)',
                                    e.payload ->> 'student_id', e.payload ->> 'teacher_id', e.payload ->> 'lesson_id')
                   END
               WHEN 'participant_added' THEN format('%s (%s, %s) joined', m.name, e.payload ->> 'user_id', e.payload ->> 'role')
               WHEN 'participant_removed' THEN
                   CASE WHEN e.actor_id = (e.payload ->> 'user_id')::bigint
                        THEN format('%s (%s) left', m.name, e.payload ->> 'user_id')
                        ELSE format('%s (%s) was removed', m.name, e.payload ->> 'user_id')
                   END
               WHEN 'chat_renamed' THEN format('renamed to %s', e.payload -> 'title')
               WHEN 'chat_closed' THEN format('closed (%s)', e.payload ->> 'reason')
           END,
           (e.payload ->> 'reply_to_message_id')::bigint,
           CASE WHEN e.type IN ('participant_added', 'participant_removed') THEN (e.payload ->> 'user_id')::bigint END
    FROM events e
    LEFT JOIN users u ON u.id = e.actor_id
    LEFT JOIN users m ON m.id = CASE WHEN e.type IN ('participant_added', 'participant_removed')
                                     THEN (e.payload ->> 'user_id')::bigint END
    WHERE e.chat_id = p_chat_id
    ORDER BY e.position
$$;

-- Who was a member of a chat at p_at, from the log alone: for each user, their latest
-- membership event by then, if it made them a member (a direct chat's pair from its opening).
CREATE FUNCTION audit_chat_members_at(p_chat_id bigint, p_at timestamptz)
RETURNS TABLE (user_id bigint, user_name text, role text, member_since timestamptz, since_position bigint)
LANGUAGE sql STABLE AS $$
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

-- As in V7, plus groups: chats' kind, title, context, creator and activity; chat_participants as the
-- current members (with the position they joined at, and a marker that starts at the chat's
-- newest message when they joined); chat_memberships' intervals.
CREATE OR REPLACE FUNCTION audit_replay()
RETURNS TABLE (projection text, row_key text, problem text, replayed jsonb, live jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.replay_chats, pg_temp.replay_chat_participants, pg_temp.replay_messages,
                         pg_temp.replay_chat_memberships;

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
    WITH titles AS (
        SELECT DISTINCT ON (x.chat_id) x.chat_id, x.payload ->> 'title' AS title
        FROM events x WHERE x.type = 'chat_renamed' ORDER BY x.chat_id, x.position DESC
    )
    SELECT e.chat_id AS id, (e.payload ->> 'student_id')::bigint AS student_id,
           (e.payload ->> 'teacher_id')::bigint AS teacher_id, e.created_at,
           v.last_message_id, coalesce(v.message_count, 0) AS message_count,
           coalesce(e.payload ->> 'kind', 'direct') AS kind,
           coalesce(t.title, e.payload ->> 'title') AS title, e.payload -> 'context' AS context,
           e.actor_id AS created_by, coalesce(w.position, e.position) AS active_position,
           coalesce(w.created_at, e.created_at) AS active_at, z.created_at AS closed_at
    FROM events e
    LEFT JOIN (SELECT m.chat_id, max(m.id) AS last_message_id, count(*) AS message_count
               FROM replay_messages m WHERE NOT m.is_deleted GROUP BY m.chat_id) v ON v.chat_id = e.chat_id
    LEFT JOIN titles t ON t.chat_id = e.chat_id
    LEFT JOIN (SELECT DISTINCT ON (x.chat_id) x.chat_id, x.created_at FROM events x
               WHERE x.type = 'chat_closed' ORDER BY x.chat_id, x.position) z ON z.chat_id = e.chat_id
    LEFT JOIN (SELECT DISTINCT ON (m.chat_id) m.chat_id, m.position, m.created_at
               FROM replay_messages m ORDER BY m.chat_id, m.position DESC) w ON w.chat_id = e.chat_id
    WHERE e.type = 'chat_created';

    -- Every membership interval: a join (a direct chat's opening, or participant_added) up to
    -- the next removal of the same user from the same chat.
    CREATE TEMP TABLE replay_chat_memberships AS
    WITH joins AS (
        SELECT e.chat_id, p.user_id, p.role, e.position, e.created_at
        FROM events e
        CROSS JOIN LATERAL (VALUES ((e.payload ->> 'teacher_id')::bigint, 'teacher'),
                                   ((e.payload ->> 'student_id')::bigint, 'student')) AS p (user_id, role)
        WHERE e.type = 'chat_created' AND coalesce(e.payload ->> 'kind', 'direct') = 'direct'
        UNION ALL
        SELECT e.chat_id, p.user_id, p.role, e.position, e.created_at
        FROM events e
        CROSS JOIN LATERAL (VALUES ((e.payload ->> 'host_id')::bigint, 'teacher'),
                                   ((e.payload ->> 'guest_id')::bigint, 'guest')) AS p (user_id, role)
        WHERE e.type = 'chat_created' AND e.payload ->> 'kind' = 'inquiry'
        UNION ALL
        SELECT e.chat_id, (e.payload ->> 'user_id')::bigint, e.payload ->> 'role', e.position, e.created_at
        FROM events e WHERE e.type = 'participant_added'
    )
    SELECT j.user_id, j.chat_id, j.position AS from_position, r.position AS to_position,
           j.role, j.created_at AS joined_at
    FROM joins j
    LEFT JOIN LATERAL (
        SELECT x.position FROM events x
        WHERE x.chat_id = j.chat_id AND x.type = 'participant_removed' AND x.position > j.position
          AND (x.payload ->> 'user_id')::bigint = j.user_id
        ORDER BY x.position LIMIT 1
    ) r ON true;

    CREATE TEMP TABLE replay_chat_participants AS
    WITH markers AS (
        SELECT x.chat_id, x.actor_id AS user_id, max((x.payload ->> 'up_to_message_id')::bigint) AS up_to
        FROM events x WHERE x.type = 'chat_read' GROUP BY x.chat_id, x.actor_id
    ), members AS (
        SELECT s.chat_id, s.user_id, s.role, s.joined_at, s.from_position AS joined_position,
               greatest(coalesce(k.up_to, 0),
                        coalesce((SELECT max(m.id) FROM replay_messages m
                                  WHERE m.chat_id = s.chat_id AND m.position < s.from_position), 0))
                   AS last_read_message_id
        FROM replay_chat_memberships s
        LEFT JOIN markers k ON k.chat_id = s.chat_id AND k.user_id = s.user_id
        WHERE s.to_position IS NULL
    )
    SELECT p.chat_id, p.user_id, p.role, p.joined_at, p.joined_position, p.last_read_message_id,
           count(m.id) AS unread_count
    FROM members p
    LEFT JOIN replay_messages m ON m.chat_id = p.chat_id AND NOT m.is_deleted AND m.sender_id <> p.user_id
                               AND m.id > p.last_read_message_id
    GROUP BY p.chat_id, p.user_id, p.role, p.joined_at, p.joined_position, p.last_read_message_id;

    RETURN QUERY
    WITH replayed (projection, row_key, body) AS (
        SELECT 'chats', r.id::text, to_jsonb(r) FROM replay_chats r
        UNION ALL
        SELECT 'chat_participants', r.chat_id || '/' || r.user_id, to_jsonb(r) FROM replay_chat_participants r
        UNION ALL
        SELECT 'chat_memberships', r.chat_id || '/' || r.user_id || '@' || r.from_position, to_jsonb(r)
        FROM (SELECT user_id, chat_id, from_position, to_position FROM replay_chat_memberships) r
        UNION ALL
        SELECT 'messages', r.id::text, to_jsonb(r) FROM replay_messages r
    ), live (projection, row_key, body) AS (
        SELECT 'chats', l.id::text, to_jsonb(l)
        FROM (SELECT id, student_id, teacher_id, created_at, last_message_id, message_count,
                     kind, title, context, created_by, active_position, active_at, closed_at FROM chats) l
        UNION ALL
        SELECT 'chat_participants', l.chat_id || '/' || l.user_id, to_jsonb(l)
        FROM (SELECT chat_id, user_id, role::text, joined_at, joined_position, last_read_message_id, unread_count
              FROM chat_participants) l
        UNION ALL
        SELECT 'chat_memberships', l.chat_id || '/' || l.user_id || '@' || l.from_position, to_jsonb(l)
        FROM (SELECT user_id, chat_id, from_position, to_position FROM chat_memberships) l
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

-- A visitor opens inquiry link p_token under the name p_name: a new guest user and their chat
-- with the link's teacher, in one transaction (the runtime role may not create users itself).
-- Returns nothing for an unknown or revoked link.
CREATE FUNCTION inquiry_open(p_token text, p_name text)
RETURNS TABLE (chat_id bigint, guest_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    link inquiry_links;
    guest bigint;
    chat bigint := nextval('chats_id_seq');
BEGIN
    SELECT * INTO link FROM inquiry_links l WHERE l.token = p_token AND l.revoked_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO users (email, name, role)
    VALUES ('guest-' || gen_random_uuid() || '@guest.invalid', p_name, 'guest')
    RETURNING id INTO guest;
    INSERT INTO events (chat_id, actor_id, type, payload)
    VALUES (chat, guest, 'chat_created', jsonb_build_object('kind', 'inquiry', 'link_id', link.id));
    RETURN QUERY SELECT chat, guest;
END
$$;
ALTER FUNCTION inquiry_open(text, text) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION inquiry_open(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inquiry_open(text, text) TO tutorchat_app;
