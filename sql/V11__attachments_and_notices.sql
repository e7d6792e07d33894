-- Attachments and offline notifications.
--
-- Attachments. A participant uploads a file to a chat (src/api/attachments.rs): its bytes go
-- to object storage under their SHA-256 (the same file twice is stored once), and a row of
-- `attachments` describes it: the file registry, written by the replicas (not a projection;
-- only INSERT of a new, unattached row is granted). A message attaches up to 10 of the
-- sender's uploads to the same chat:
--
--   message_created  payload may carry "attachments": [{"id", "name", "content_type", "size",
--                    "sha256", "width"?, "height"?}] in the order the sender gave them. The
--                    request names them as "attachment_ids"; the log checks each (uploaded by
--                    the sender, to this chat, not attached yet), binds it to the message
--                    (attachments.message_id) and records its description, so that a replay,
--                    an audit and every stream need nothing but the log. Such a message may
--                    have empty text.
--
-- attachments.message_id is set only here, under the log's lock, so an upload is attached to
-- one message at most. Uploads never attached are forgotten after a day by
-- attachments_sweep(), which never touches an attached row; it and every upload take an
-- advisory lock per SHA-256 around "is this content still referenced / store it and record it",
-- so a sweep never deletes the bytes of an upload that is being recorded.
--
-- Offline notifications (a transactional outbox). When a message is committed, every other
-- current member of its chat who has no event stream open on any replica (the presence rule of
-- V8) gets a row in `notices` in the same transaction, by the statement trigger events_outbox:
-- one pending notice per user and chat, into which later messages are folded (`count`) until a
-- replica claims it. Replicas deliver notices to the school's webhook (src/notify/), claiming
-- due rows with FOR UPDATE SKIP LOCKED and a lease, so each notice is sent by one replica at a
-- time and sent again (same id) only if that replica died before it was answered:
--
--   pending    foldable; due once it is NOTIFY_GRACE_SECS old and no notice of the same user
--              and chat was sent within NOTIFY_QUIET_SECS (or is being sent)
--   sending    claimed by a replica until claimed_until
--   retry      the webhook failed; due again at next_attempt_at
--   delivered  the webhook answered 2xx
--   failed     still failing NOTIFY_RETRY_FOR_SECS after the first message
--   cancelled  the user came online (or read the chat, or left it) before it was sent
--
-- Notices are recorded only while notify_settings.enabled, which replicas set at start from
-- whether NOTIFY_WEBHOOK_URL is configured: without a webhook nothing would deliver them.

CREATE TABLE attachments (
    id           bigserial PRIMARY KEY,
    chat_id      bigint NOT NULL REFERENCES chats (id),
    uploader_id  bigint NOT NULL REFERENCES users (id),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    content_type text NOT NULL CHECK (char_length(content_type) BETWEEN 1 AND 255),
    size         bigint NOT NULL CHECK (size > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    width        integer CHECK (width > 0),
    height       integer CHECK (height > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The message that attached it (set by the log, just before the message's row exists:
    -- hence checked at commit; NULL: not attached yet).
    message_id   bigint REFERENCES messages (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX idx_attachments_orphans ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX idx_attachments_sha256 ON attachments (sha256);
CREATE INDEX idx_attachments_uploader ON attachments (uploader_id, created_at);
CREATE INDEX idx_attachments_message ON attachments (message_id) WHERE message_id IS NOT NULL;

GRANT SELECT ON attachments TO tutorchat_app;
GRANT INSERT (chat_id, uploader_id, name, content_type, size, sha256, width, height) ON attachments TO tutorchat_app;
GRANT USAGE ON SEQUENCE attachments_id_seq TO tutorchat_app;

-- A message's attachments as its event recorded them (NULL: none). Its text may then be empty.
ALTER TABLE messages ADD COLUMN attachments jsonb;
ALTER TABLE messages DROP CONSTRAINT messages_content_length, DROP CONSTRAINT messages_content_not_blank;
ALTER TABLE messages
    ADD CONSTRAINT messages_content_length CHECK (char_length(content) <= 10000) NOT VALID,
    ADD CONSTRAINT messages_content_not_blank CHECK (content ~ '[^[:space:]]' OR attachments IS NOT NULL) NOT VALID;
ALTER TABLE messages VALIDATE CONSTRAINT messages_content_length;
ALTER TABLE messages VALIDATE CONSTRAINT messages_content_not_blank;

-- The attachments p_ids (a JSON array of ids, as the request gave them) of message p_message,
-- bound to it: each must be an upload of p_sender to chat p_chat that no message has attached.
-- Returns their descriptions in the given order, or NULL when there are none. Called by
-- events_before_insert under the log's lock.
CREATE FUNCTION attachments_bind(p_message bigint, p_chat bigint, p_sender bigint, p_ids jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    bound jsonb;
    missing bigint;
BEGIN
    IF p_ids IS NULL OR p_ids = 'null' OR p_ids = '[]' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_ids) <> 'array' OR jsonb_array_length(p_ids) > 10
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_ids) x
                  WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^[0-9]{1,18}$') THEN
        RAISE EXCEPTION 'attachment_ids must be an array of at most 10 attachment ids'
            USING ERRCODE = 'check_violation';
    END IF;
    ids := ARRAY(SELECT x::text::bigint FROM jsonb_array_elements(p_ids) x);
    IF (SELECT count(DISTINCT i) FROM unnest(ids) i) <> cardinality(ids) THEN
        RAISE EXCEPTION 'attachment_ids names an attachment twice' USING ERRCODE = 'check_violation';
    END IF;
    WITH bound_rows AS (
        UPDATE attachments a SET message_id = p_message
        WHERE a.id = ANY (ids) AND a.chat_id = p_chat AND a.uploader_id = p_sender AND a.message_id IS NULL
        RETURNING a.*
    )
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', b.id, 'name', b.name, 'content_type', b.content_type, 'size', b.size,
               'sha256', b.sha256, 'width', b.width, 'height', b.height)) ORDER BY array_position(ids, b.id))
    INTO bound FROM bound_rows b;
    IF coalesce(jsonb_array_length(bound), 0) <> cardinality(ids) THEN
        SELECT i INTO missing FROM unnest(ids) i
        WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(bound) x WHERE (x ->> 'id')::bigint = i) LIMIT 1;
        RAISE EXCEPTION 'attachment % is not an upload of yours to chat % that is still unattached', missing, p_chat
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN bound;
END
$$;
REVOKE EXECUTE ON FUNCTION attachments_bind(bigint, bigint, bigint, jsonb) FROM PUBLIC;

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
        INSERT INTO messages (id, chat_id, sender_id, content, created_at, position, reply_to_id, attachments)
        VALUES ((e.payload ->> 'message_id')::bigint, e.chat_id, e.actor_id,
                e.payload ->> 'content', e.created_at, e.position,
                (e.payload ->> 'reply_to_message_id')::bigint, e.payload -> 'attachments');
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
-- Uploads older than p_age that no message attached, at most p_limit of them: deleted, and
-- for each content (SHA-256) whether another upload still references it. The caller deletes
-- the bytes of those that are not referenced before it commits: the advisory lock on each
-- SHA-256, held until then, keeps an upload of the same content from recording a row meanwhile.
CREATE FUNCTION attachments_sweep(p_age interval, p_limit integer)
RETURNS TABLE (sha256 text, referenced boolean)
LANGUAGE plpgsql AS $$
DECLARE
    gone text;
BEGIN
    FOR gone IN
        WITH doomed AS (
            SELECT a.id FROM attachments a
            WHERE a.message_id IS NULL AND a.created_at < now() - p_age
            ORDER BY a.created_at LIMIT p_limit
            FOR UPDATE SKIP LOCKED
        )
        -- message_id IS NULL again: a message that attached one meanwhile wins.
        DELETE FROM attachments a USING doomed d WHERE a.id = d.id AND a.message_id IS NULL
        RETURNING a.sha256
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(gone, 0));
        sha256 := gone;
        referenced := EXISTS (SELECT 1 FROM attachments x WHERE x.sha256 = gone);
        RETURN NEXT;
    END LOOP;
END
$$;
ALTER FUNCTION attachments_sweep(interval, integer) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION attachments_sweep(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION attachments_sweep(interval, integer) TO tutorchat_app;

CREATE TABLE notify_settings (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    enabled  boolean NOT NULL
);
INSERT INTO notify_settings (enabled) VALUES (false);
GRANT SELECT, UPDATE (enabled) ON notify_settings TO tutorchat_app;

CREATE TABLE notices (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          bigint NOT NULL REFERENCES users (id),
    chat_id          bigint NOT NULL REFERENCES chats (id),
    -- The messages folded into it: the first and the newest, and how many.
    first_message_id bigint NOT NULL,
    message_id       bigint NOT NULL,
    count            integer NOT NULL CHECK (count > 0),
    -- The newest message's first 100 characters (or its first attachment's name).
    preview          text NOT NULL,
    -- When the first message was committed.
    created_at       timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'retry', 'delivered', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    claimed_until    timestamptz,
    -- When it was first claimed for sending, and when it ended (delivered, failed, cancelled).
    sent_at          timestamptz,
    settled_at       timestamptz,
    last_error       text
);
-- One foldable notice per user and chat.
CREATE UNIQUE INDEX notices_pending ON notices (user_id, chat_id) WHERE state = 'pending';
-- What the workers look at: the notices not settled yet.
CREATE INDEX notices_open ON notices (created_at) WHERE state IN ('pending', 'sending', 'retry');
-- The quiet period: the latest notice sent to a user about a chat.
CREATE INDEX notices_sent ON notices (user_id, chat_id, sent_at DESC) WHERE sent_at IS NOT NULL;

GRANT SELECT ON notices TO tutorchat_app;
GRANT UPDATE (state, attempts, next_attempt_at, claimed_until, sent_at, settled_at, last_error) ON notices
    TO tutorchat_app;

-- The outbox: each message of the statement to each other current member who is offline now.
-- Set-based over the statement's rows, so a batch of messages to one person is one upsert.
CREATE FUNCTION events_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT enabled FROM notify_settings) OR NOT EXISTS (
        SELECT 1 FROM appended WHERE type = 'message_created') THEN
        RETURN NULL;
    END IF;
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
    RETURN NULL;
END
$$;
ALTER FUNCTION events_outbox() SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION events_outbox() FROM PUBLIC;
CREATE TRIGGER events_outbox AFTER INSERT ON events
    REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION events_outbox();

-- Which uploads the log attached, and what it recorded of them, against attachments and
-- messages.attachments. audit_replay() (below) reports these problems with those of V10's.
CREATE FUNCTION audit_replay_attachments()
RETURNS TABLE (projection text, row_key text, problem text, replayed jsonb, live jsonb)
LANGUAGE sql STABLE AS $$
    WITH recorded AS (
        SELECT (e.payload ->> 'message_id')::bigint AS message_id, e.payload -> 'attachments' AS attachments
        FROM events e WHERE e.type = 'message_created' AND e.payload ? 'attachments'
    ), replayed (projection, row_key, body) AS (
        SELECT 'messages.attachments', r.message_id::text, r.attachments FROM recorded r
        UNION ALL
        SELECT 'attachments.message_id', (x ->> 'id'), jsonb_build_object('message_id', r.message_id)
        FROM recorded r CROSS JOIN LATERAL jsonb_array_elements(r.attachments) x
    ), live (projection, row_key, body) AS (
        SELECT 'messages.attachments', m.id::text, m.attachments FROM messages m WHERE m.attachments IS NOT NULL
        UNION ALL
        SELECT 'attachments.message_id', a.id::text, jsonb_build_object('message_id', a.message_id)
        FROM attachments a WHERE a.message_id IS NOT NULL
    )
    SELECT coalesce(r.projection, l.projection), coalesce(r.row_key, l.row_key),
           CASE WHEN l.body IS NULL THEN 'missing from projection'
                WHEN r.body IS NULL THEN 'not in the log'
                ELSE 'differs' END,
           r.body, l.body
    FROM replayed r
    FULL JOIN live l ON l.projection = r.projection AND l.row_key = r.row_key
    WHERE r.body IS DISTINCT FROM l.body
$$;

-- audit_replay() keeps its name and columns: V10's replay of chats, participants, memberships
-- and messages (renamed, unchanged) and the attachments' above.
ALTER FUNCTION audit_replay() RENAME TO audit_replay_chats;
CREATE FUNCTION audit_replay()
RETURNS TABLE (projection text, row_key text, problem text, replayed jsonb, live jsonb)
LANGUAGE sql AS $$
    SELECT * FROM (SELECT * FROM audit_replay_chats() UNION ALL SELECT * FROM audit_replay_attachments()) x
    ORDER BY 1, 2
$$;

-- A chat's attachments for an auditor: who uploaded what, which message attached it, and
-- whether that message is deleted (the bytes stay, under their SHA-256).
CREATE FUNCTION audit_chat_attachments(p_chat_id bigint)
RETURNS TABLE (attachment_id bigint, uploaded_at timestamptz, uploader_id bigint, uploader_name text,
               name text, content_type text, size bigint, sha256 text, message_id bigint, message_deleted boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.id, a.created_at, a.uploader_id, u.name, a.name, a.content_type, a.size, a.sha256,
           a.message_id, m.is_deleted
    FROM attachments a
    JOIN users u ON u.id = a.uploader_id
    LEFT JOIN messages m ON m.id = a.message_id
    WHERE a.chat_id = p_chat_id
    ORDER BY a.id
$$;
