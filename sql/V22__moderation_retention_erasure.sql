-- Children's data, governed: moderation (reports, hiding, suspension), retention, erasure and
-- export, with the log still the truth. docs/governance.md explains the choice; in short:
--
-- * Every change is an event. New chat events: message_reported, message_hidden,
--   message_unhidden, messages_purged, chat_exported. New events about a person rather than a
--   chat (their chat_id is NULL, events_scope): user_suspended, user_unsuspended,
--   user_erasure_requested, user_erased.
-- * Content goes by redaction, not by encryption. A messages_purged event names the messages
--   whose content goes (by retention: older than its `before`; by erasure: one person's); the
--   same append blanks their text and files everywhere they are kept: the messages row, their
--   message_created and message_edited events in the log, their uploads (the bytes through
--   file_deletions), the offline notifications that quote them. The log's rows stay, with
--   who, when and where; only their content fields become empty.
-- * events stays append-only for every role: DELETE and TRUNCATE are refused as before, and an
--   UPDATE is refused unless it is exactly such a blanking of a message the log has already
--   recorded as purged (events_redaction_only). The runtime role still has no UPDATE privilege
--   on events: only the SECURITY DEFINER trigger functions redact, inside an append.

-- People: suspension and erasure, kept from the log's user events.
ALTER TABLE users
    ADD COLUMN suspended_until timestamptz,
    ADD COLUMN suspension_reason text,
    ADD COLUMN erasure_requested_at timestamptz,
    ADD COLUMN erased_at timestamptz;
COMMENT ON COLUMN users.suspended_until IS 'Suspended until then (infinity: until unsuspended): the person reads, writes nothing. Kept from user_suspended and user_unsuspended.';
COMMENT ON COLUMN users.erasure_requested_at IS 'An admin asked to erase this person (user_erasure_requested): from then on they cannot sign in or write, and the server purges their messages in batches.';
COMMENT ON COLUMN users.erased_at IS 'Every message of theirs purged, their name and email replaced (user_erased).';

-- Messages: hidden by a moderator (the content stays, for admins and the audit), or purged
-- (the content is gone for everyone).
ALTER TABLE messages
    ADD COLUMN hidden_at timestamptz,
    ADD COLUMN hidden_by bigint REFERENCES users (id),
    ADD COLUMN hidden_reason text,
    ADD COLUMN purged_at timestamptz,
    ADD COLUMN purge_cause text CONSTRAINT messages_purge_cause CHECK (purge_cause IN ('retention', 'erasure'));
ALTER TABLE messages
    DROP CONSTRAINT messages_content_not_blank,
    ADD CONSTRAINT messages_content_not_blank
        CHECK (content ~ '[^[:space:]]' OR attachments IS NOT NULL OR purged_at IS NOT NULL),
    ADD CONSTRAINT messages_purged_empty CHECK (purged_at IS NULL OR (content = '' AND attachments IS NULL));
-- What retention purges next: the oldest messages not purged yet.
CREATE INDEX messages_retention ON messages (created_at) WHERE purged_at IS NULL;

-- Reports of messages to the moderators, kept from message_reported; hiding a message resolves
-- its open reports. A report's id is its event's position.
CREATE TABLE reports (
    id bigint PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES messages (id),
    chat_id bigint NOT NULL REFERENCES chats (id),
    reporter_id bigint NOT NULL REFERENCES users (id),
    reason text NOT NULL,
    created_at timestamptz NOT NULL,
    resolved_at timestamptz,
    resolved_by bigint REFERENCES users (id),
    resolution text CONSTRAINT reports_resolution CHECK (resolution IN ('hidden')),
    CONSTRAINT reports_once UNIQUE (message_id, reporter_id)
);
CREATE INDEX reports_open ON reports (id) WHERE resolved_at IS NULL;
CREATE INDEX reports_reporter ON reports (reporter_id);
COMMENT ON TABLE reports IS 'Participants'' reports of messages, one per person and message, kept from message_reported events (id = the event''s position). Resolved when an admin hides the message.';

-- Files whose uploads were purged: their bytes are deleted by file_deletions_take once no
-- upload has the same content (a queue, so that a replica that dies after the purge commits
-- leaves the work to the next one).
CREATE TABLE file_deletions (
    sha256 text PRIMARY KEY CONSTRAINT file_deletions_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    queued_at timestamptz NOT NULL DEFAULT now()
);

-- The log: chat events and events about a person.
ALTER TABLE events ALTER COLUMN chat_id DROP NOT NULL;
ALTER TABLE events
    DROP CONSTRAINT events_type_check,
    ADD CONSTRAINT events_type_check CHECK (type IN (
        'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
        'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed',
        'message_reported', 'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported',
        'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased')),
    ADD CONSTRAINT events_scope CHECK ((chat_id IS NULL) = (type IN (
        'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased')));
-- A purge finds a message's edits through this (edits are few: the index is small).
CREATE INDEX events_edits ON events (((payload ->> 'message_id')::bigint)) WHERE type = 'message_edited';
-- A person's own events (suspensions, erasure), for the audit.
CREATE INDEX events_about_people ON events (((payload ->> 'user_id')::bigint), position) WHERE chat_id IS NULL;

CREATE FUNCTION moderation_reason_valid(p_reason jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_typeof(p_reason) = 'string'
       AND char_length(p_reason #>> '{}') BETWEEN 1 AND 500
       AND (p_reason #>> '{}') ~ '[^[:space:]]'
$$;

-- Who may purge what: retention, by the system, only messages older than the event's `before`
-- (which is not in the future); erasure, by an admin, only messages of the person whose erasure
-- was asked for. Every message named must be one of the chat's.
CREATE FUNCTION events_purge_rule(e events, actor_role text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ids bigint[];
BEGIN
    IF jsonb_typeof(e.payload -> 'message_ids') IS DISTINCT FROM 'array'
       OR jsonb_array_length(e.payload -> 'message_ids') NOT BETWEEN 1 AND 1000
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(e.payload -> 'message_ids') x
                  WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^[0-9]{1,18}$') THEN
        RAISE EXCEPTION 'messages_purged needs message_ids: 1 to 1000 message ids' USING ERRCODE = 'check_violation';
    END IF;
    ids := ARRAY(SELECT x::text::bigint FROM jsonb_array_elements(e.payload -> 'message_ids') x);
    IF EXISTS (SELECT 1 FROM unnest(ids) i WHERE NOT EXISTS (
                   SELECT 1 FROM messages m WHERE m.id = i AND m.chat_id = e.chat_id)) THEN
        RAISE EXCEPTION 'messages_purged names a message that is not one of chat %', e.chat_id
            USING ERRCODE = 'check_violation';
    END IF;
    CASE e.payload ->> 'cause'
    WHEN 'retention' THEN
        IF e.actor_id IS NOT NULL THEN
            RAISE EXCEPTION 'only the system purges by retention' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF jsonb_typeof(e.payload -> 'before') IS DISTINCT FROM 'string'
           OR (e.payload ->> 'before')::timestamptz > e.created_at THEN
            RAISE EXCEPTION 'a purge by retention needs its horizon (before), not in the future'
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM messages m WHERE m.id = ANY (ids)
                   AND m.created_at >= (e.payload ->> 'before')::timestamptz) THEN
            RAISE EXCEPTION 'retention purges only messages older than %', e.payload ->> 'before'
                USING ERRCODE = 'check_violation';
        END IF;
    WHEN 'erasure' THEN
        IF actor_role IS DISTINCT FROM 'admin' THEN
            RAISE EXCEPTION 'only an admin erases a person' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF jsonb_typeof(e.payload -> 'user_id') IS DISTINCT FROM 'number' OR NOT EXISTS (
            SELECT 1 FROM users u WHERE u.id = (e.payload ->> 'user_id')::bigint AND u.erasure_requested_at IS NOT NULL) THEN
            RAISE EXCEPTION 'a purge by erasure names a person (user_id) whose erasure was asked for'
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM messages m WHERE m.id = ANY (ids)
                   AND m.sender_id <> (e.payload ->> 'user_id')::bigint) THEN
            RAISE EXCEPTION 'erasure purges only the messages of user %', e.payload ->> 'user_id'
                USING ERRCODE = 'check_violation';
        END IF;
    ELSE
        RAISE EXCEPTION 'messages_purged needs a cause: retention or erasure' USING ERRCODE = 'check_violation';
    END CASE;
END
$$;
REVOKE ALL ON FUNCTION events_purge_rule(events, text) FROM PUBLIC;

-- Who may suspend, unsuspend and erase whom: an admin, anyone but an admin; a suspension with
-- a reason and an optional end in the future; an erasure with a reason.
CREATE FUNCTION events_user_rule(e events, actor_role text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target record;
BEGIN
    IF actor_role IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin may suspend, unsuspend or erase a person' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT u.id, u.role, u.erased_at INTO target FROM users u
    WHERE u.id = CASE WHEN jsonb_typeof(e.payload -> 'user_id') = 'number' THEN (e.payload ->> 'user_id')::bigint END;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % does not exist', e.payload -> 'user_id' USING ERRCODE = 'no_data_found';
    END IF;
    IF target.role = 'admin' THEN
        RAISE EXCEPTION 'user % is an admin: admins are neither suspended nor erased here', target.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF e.type = 'user_suspended' THEN
        IF target.erased_at IS NOT NULL THEN
            RAISE EXCEPTION 'user % is erased', target.id USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF NOT moderation_reason_valid(e.payload -> 'reason') THEN
            RAISE EXCEPTION 'a suspension needs a reason of 1 to 500 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        IF coalesce(jsonb_typeof(e.payload -> 'until'), 'null') NOT IN ('null', 'string')
           OR (e.payload ->> 'until')::timestamptz <= e.created_at THEN
            RAISE EXCEPTION 'a suspension ends (until) in the future, or never (null)' USING ERRCODE = 'check_violation';
        END IF;
    ELSIF e.type = 'user_erasure_requested' AND NOT moderation_reason_valid(e.payload -> 'reason') THEN
        RAISE EXCEPTION 'an erasure needs a reason of 1 to 500 characters, not only whitespace'
            USING ERRCODE = 'check_violation';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION events_user_rule(events, text) FROM PUBLIC;

-- What a messages_purged event does, inside its append (so under the log's lock, and only
-- ever together with the event that records it): the messages' content goes from every table.
CREATE FUNCTION events_purge(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ids constant bigint[] := ARRAY(SELECT x::text::bigint FROM jsonb_array_elements(e.payload -> 'message_ids') x);
BEGIN
    UPDATE messages SET content = '', attachments = NULL, purged_at = e.created_at, purge_cause = e.payload ->> 'cause'
    WHERE id = ANY (ids);
    -- The log's copies: each message's text and files as it was written, and every edit's text.
    UPDATE events SET payload = (payload - 'attachments') || '{"content": ""}'
    WHERE position IN (SELECT m.position FROM messages m WHERE m.id = ANY (ids));
    UPDATE events SET payload = payload || '{"content": ""}'
    WHERE type = 'message_edited' AND (payload ->> 'message_id')::bigint = ANY (ids);
    -- Their uploads; the bytes once no other upload has the same content (file_deletions_take).
    WITH gone AS (DELETE FROM attachments a WHERE a.message_id = ANY (ids) RETURNING a.sha256)
    INSERT INTO file_deletions (sha256) SELECT DISTINCT g.sha256 FROM gone g ON CONFLICT DO NOTHING;
    -- Offline notifications that may quote them (a fold's preview is its newest message's).
    UPDATE notices SET preview = ''
    WHERE chat_id = e.chat_id AND preview <> ''
      AND first_message_id <= (SELECT max(i) FROM unnest(ids) i) AND message_id >= (SELECT min(i) FROM unnest(ids) i);
END
$$;
REVOKE ALL ON FUNCTION events_purge(events) FROM PUBLIC;

-- What user_erased does once every message of the person is purged: their name and email
-- replaced, their reports' reasons blanked (in the log too), their unattached uploads deleted,
-- their offline notifications cancelled.
CREATE FUNCTION events_erase_person(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    person constant bigint := (e.payload ->> 'user_id')::bigint;
BEGIN
    UPDATE users SET name = 'erased user ' || person, email = 'erased-' || person || '@erased.invalid',
                     erased_at = e.created_at
    WHERE id = person;
    UPDATE events SET payload = payload || '{"reason": ""}'
    WHERE position IN (SELECT r.id FROM reports r WHERE r.reporter_id = person) AND payload ->> 'reason' <> '';
    UPDATE reports SET reason = '' WHERE reporter_id = person;
    WITH gone AS (DELETE FROM attachments a WHERE a.uploader_id = person AND a.message_id IS NULL RETURNING a.sha256)
    INSERT INTO file_deletions (sha256) SELECT DISTINCT g.sha256 FROM gone g ON CONFLICT DO NOTHING;
    UPDATE notices SET state = 'cancelled', preview = '', settled_at = e.created_at
    WHERE user_id = person AND state IN ('pending', 'retry');
    UPDATE notices SET preview = '' WHERE user_id = person AND preview <> '';
END
$$;
REVOKE ALL ON FUNCTION events_erase_person(events) FROM PUBLIC;

-- The log's immutability, with its one exception: blanking a purged message's content.
DROP TRIGGER events_immutable ON events;
CREATE TRIGGER events_immutable BEFORE DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

CREATE FUNCTION events_redaction_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF (NEW.position, NEW.chat_id, NEW.actor_id, NEW.type, NEW.created_at, NEW.idempotency_key)
           IS NOT DISTINCT FROM (OLD.position, OLD.chat_id, OLD.actor_id, OLD.type, OLD.created_at, OLD.idempotency_key)
       AND (CASE OLD.type
               WHEN 'message_created' THEN
                   NEW.payload = (OLD.payload - 'attachments') || '{"content": ""}'
                   AND EXISTS (SELECT 1 FROM messages m WHERE m.id = (OLD.payload ->> 'message_id')::bigint
                               AND m.purged_at IS NOT NULL)
               WHEN 'message_edited' THEN
                   NEW.payload = OLD.payload || '{"content": ""}'
                   AND EXISTS (SELECT 1 FROM messages m WHERE m.id = (OLD.payload ->> 'message_id')::bigint
                               AND m.purged_at IS NOT NULL)
               WHEN 'message_reported' THEN
                   NEW.payload = OLD.payload || '{"reason": ""}'
                   AND EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.actor_id AND u.erasure_requested_at IS NOT NULL)
               ELSE false
           END) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'events is an append-only log: an UPDATE may only blank the content of a purged message (position %)',
        OLD.position USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_redaction_only BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_redaction_only();
-- Like every trigger of the log, they fire in replication mode too (session_replication_role).
ALTER TABLE events ENABLE ALWAYS TRIGGER events_immutable;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_redaction_only;
COMMENT ON FUNCTION events_redaction_only() IS 'The one UPDATE events allows, for every role:
blanking the content of a message the log has already recorded as purged (messages_purged; the
messages row says purged_at): its message_created event''s text ("") and files (removed), its
message_edited events'' text; and an erased person''s reports'' reasons. Nothing else of any
row changes, and no other row may change. Only the trigger functions do it, inside the append
of the event that records it (events_purge, events_erase_person).';

-- Takes up to p_limit files whose uploads were purged: each one's content (SHA-256), whether an
-- upload still has the same content (then its bytes stay), under the advisory lock an upload of
-- that content takes too; the caller deletes the bytes of those not referenced before it commits.
CREATE FUNCTION file_deletions_take(p_limit integer) RETURNS TABLE(sha256 text, referenced boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    gone text;
BEGIN
    FOR gone IN
        WITH taken AS (
            SELECT f.sha256 FROM file_deletions f ORDER BY f.queued_at LIMIT p_limit FOR UPDATE SKIP LOCKED
        )
        DELETE FROM file_deletions f USING taken t WHERE f.sha256 = t.sha256 RETURNING f.sha256
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(gone, 0));
        sha256 := gone;
        referenced := EXISTS (SELECT 1 FROM attachments x WHERE x.sha256 = gone);
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION file_deletions_take(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION file_deletions_take(integer) TO tutorchat_app;

GRANT SELECT ON reports TO tutorchat_app;
GRANT SELECT ON file_deletions TO tutorchat_app;

CREATE OR REPLACE FUNCTION events_before_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

    -- Nobody suspended, or whose erasure was asked for, appends anything but a read marker
    -- (a plain message's sender is checked by events_after_insert).
    IF NEW.actor_id IS NOT NULL AND NEW.type <> 'chat_read' AND EXISTS (
        SELECT 1 FROM users u WHERE u.id = NEW.actor_id
          AND (u.suspended_until > NEW.created_at OR u.erasure_requested_at IS NOT NULL)) THEN
        RAISE EXCEPTION 'user % is suspended: they may read, not write', NEW.actor_id
            USING ERRCODE = 'insufficient_privilege', HINT = 'account_suspended';
    END IF;
    IF NEW.type IN ('message_reported', 'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported',
                    'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased') THEN
        SELECT u.role INTO actor_role FROM users u WHERE u.id = NEW.actor_id;
    END IF;

    -- Messages, read markers and reports come from a current participant of the chat.
    IF NEW.type IN ('message_created', 'message_deleted', 'message_edited', 'chat_read', 'message_reported') AND NOT EXISTS (
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
    IF NEW.type IN ('message_deleted', 'message_edited', 'message_reported', 'message_hidden', 'message_unhidden') THEN
        SELECT m.id, m.chat_id, m.sender_id, m.is_deleted, m.content, m.position,
               m.hidden_at IS NOT NULL AS hidden, m.purged_at IS NOT NULL AS purged INTO target
        FROM messages m
        WHERE m.id = CASE WHEN jsonb_typeof(NEW.payload -> 'message_id') = 'number'
                          THEN (NEW.payload ->> 'message_id')::bigint END;
        IF NOT FOUND OR target.chat_id <> NEW.chat_id THEN
            RAISE EXCEPTION 'message % does not exist in chat %', NEW.payload -> 'message_id', NEW.chat_id
                USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    IF NEW.type IN ('message_deleted', 'message_edited') THEN
        IF target.sender_id IS DISTINCT FROM NEW.actor_id THEN
            RAISE EXCEPTION 'only the author may % message %',
                CASE NEW.type WHEN 'message_deleted' THEN 'delete' ELSE 'edit' END, NEW.payload -> 'message_id'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- A closed chat is read-only for its messages too: no edit, no deletion.
        IF (SELECT closed_at FROM chats WHERE id = NEW.chat_id) IS NOT NULL THEN
            RAISE EXCEPTION 'chat % is closed: it is read-only', NEW.chat_id
                USING ERRCODE = 'object_not_in_prerequisite_state';
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
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_deleted';
        END IF;
        IF target.purged THEN
            RAISE EXCEPTION 'message % was purged and cannot be edited', NEW.payload -> 'message_id'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_purged';
        END IF;
        IF target.hidden THEN
            RAISE EXCEPTION 'message % is hidden by a moderator and cannot be edited', NEW.payload -> 'message_id'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_hidden';
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
    WHEN 'message_reported' THEN
        IF target.sender_id = NEW.actor_id THEN
            RAISE EXCEPTION 'one cannot report one''s own message' USING ERRCODE = 'check_violation';
        END IF;
        IF target.position < (SELECT joined_position FROM chat_participants
                              WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
            RAISE EXCEPTION 'message % does not exist in chat %', target.id, NEW.chat_id USING ERRCODE = 'no_data_found';
        END IF;
        IF target.is_deleted OR target.hidden OR target.purged THEN
            RAISE EXCEPTION 'message % is no longer shown: there is nothing to report', target.id
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF EXISTS (SELECT 1 FROM reports r WHERE r.message_id = target.id AND r.reporter_id = NEW.actor_id) THEN
            RAISE EXCEPTION 'user % has already reported message %', NEW.actor_id, target.id
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'already_reported';
        END IF;
        IF NOT moderation_reason_valid(NEW.payload -> 'reason') THEN
            RAISE EXCEPTION 'a report needs a reason of 1 to 500 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.payload := jsonb_build_object('message_id', target.id, 'reason', NEW.payload ->> 'reason');
    WHEN 'message_hidden', 'message_unhidden' THEN
        IF actor_role IS DISTINCT FROM 'admin' THEN
            RAISE EXCEPTION 'only an admin may hide or unhide a message' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.type = 'message_hidden' THEN
            IF NOT moderation_reason_valid(NEW.payload -> 'reason') THEN
                RAISE EXCEPTION 'hiding a message needs a reason of 1 to 500 characters, not only whitespace'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF target.hidden OR target.purged THEN
                RETURN NULL;  -- hidden already, or nothing left to hide
            END IF;
            NEW.payload := jsonb_build_object('message_id', target.id, 'reason', NEW.payload ->> 'reason');
        ELSE
            IF NOT target.hidden THEN
                RETURN NULL;  -- not hidden: nothing happened
            END IF;
            NEW.payload := jsonb_build_object('message_id', target.id);
        END IF;
    WHEN 'messages_purged' THEN
        PERFORM events_purge_rule(NEW, actor_role);
        NEW.payload := jsonb_build_object('message_ids', to_jsonb(ARRAY(
                SELECT m.id FROM messages m
                WHERE m.id IN (SELECT x::text::bigint FROM jsonb_array_elements(NEW.payload -> 'message_ids') x)
                  AND m.purged_at IS NULL ORDER BY m.id)),
            'cause', NEW.payload ->> 'cause')
            || CASE NEW.payload ->> 'cause'
                   WHEN 'retention' THEN jsonb_build_object('before', NEW.payload -> 'before')
                   ELSE jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint) END;
        IF NEW.payload -> 'message_ids' = '[]' THEN
            RETURN NULL;  -- every one purged already
        END IF;
    WHEN 'chat_exported' THEN
        IF actor_role IS DISTINCT FROM 'admin' AND NOT EXISTS (
            SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
            RAISE EXCEPTION 'user % is not a participant of chat %', NEW.actor_id, NEW.chat_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM chats WHERE id = NEW.chat_id) THEN
            RAISE EXCEPTION 'chat % does not exist', NEW.chat_id USING ERRCODE = 'no_data_found';
        END IF;
        IF NEW.payload ->> 'format' NOT IN ('json', 'html', 'pdf') OR jsonb_typeof(NEW.payload -> 'at') <> 'string' THEN
            RAISE EXCEPTION 'chat_exported needs a format (json, html or pdf) and the time it shows (at)'
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.payload := jsonb_build_object('format', NEW.payload ->> 'format', 'at', NEW.payload -> 'at');
    WHEN 'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased' THEN
        PERFORM events_user_rule(NEW, actor_role);
        SELECT u.suspended_until > NEW.created_at AS suspended, u.erasure_requested_at IS NOT NULL AS erasing,
               u.erased_at IS NOT NULL AS erased INTO member
        FROM users u WHERE u.id = (NEW.payload ->> 'user_id')::bigint;
        CASE NEW.type
        WHEN 'user_suspended' THEN
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint,
                                              'reason', NEW.payload ->> 'reason', 'until', NEW.payload -> 'until');
        WHEN 'user_unsuspended' THEN
            IF NOT coalesce(member.suspended, false) THEN
                RETURN NULL;  -- not suspended: nothing happened
            END IF;
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint);
        WHEN 'user_erasure_requested' THEN
            IF member.erasing THEN
                RETURN NULL;  -- asked already: the erasure is under way or done
            END IF;
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint,
                                              'reason', NEW.payload ->> 'reason');
        ELSE
            IF member.erased THEN
                RETURN NULL;
            END IF;
            IF NOT member.erasing OR EXISTS (
                SELECT 1 FROM messages m WHERE m.sender_id = (NEW.payload ->> 'user_id')::bigint AND m.purged_at IS NULL) THEN
                RAISE EXCEPTION 'user % is erased only once their erasure was asked for and every message of theirs purged',
                    NEW.payload ->> 'user_id' USING ERRCODE = 'object_not_in_prerequisite_state';
            END IF;
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint);
        END CASE;
    END CASE;
    PERFORM events_apply(NEW);
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION events_apply(e events) RETURNS void
    LANGUAGE plpgsql
    AS $$
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
    WHEN 'message_reported' THEN
        INSERT INTO reports (id, message_id, chat_id, reporter_id, reason, created_at)
        VALUES (e.position, (e.payload ->> 'message_id')::bigint, e.chat_id, e.actor_id, e.payload ->> 'reason', e.created_at);
    WHEN 'message_hidden' THEN
        UPDATE messages SET hidden_at = e.created_at, hidden_by = e.actor_id, hidden_reason = e.payload ->> 'reason'
        WHERE id = (e.payload ->> 'message_id')::bigint;
        UPDATE reports SET resolved_at = e.created_at, resolved_by = e.actor_id, resolution = 'hidden'
        WHERE message_id = (e.payload ->> 'message_id')::bigint AND resolved_at IS NULL;
        -- An offline notification not sent yet no longer quotes it.
        UPDATE notices SET preview = ''
        WHERE chat_id = e.chat_id AND state IN ('pending', 'retry') AND preview <> ''
          AND (e.payload ->> 'message_id')::bigint BETWEEN first_message_id AND message_id;
    WHEN 'message_unhidden' THEN
        UPDATE messages SET hidden_at = NULL, hidden_by = NULL, hidden_reason = NULL
        WHERE id = (e.payload ->> 'message_id')::bigint;
    WHEN 'messages_purged' THEN
        PERFORM events_purge(e);
    WHEN 'chat_exported' THEN
        NULL;  -- a record of who exported what, and nothing else
    WHEN 'user_suspended' THEN
        UPDATE users SET suspended_until = coalesce((e.payload ->> 'until')::timestamptz, 'infinity'),
                         suspension_reason = e.payload ->> 'reason'
        WHERE id = member;
    WHEN 'user_unsuspended' THEN
        UPDATE users SET suspended_until = NULL, suspension_reason = NULL WHERE id = member;
    WHEN 'user_erasure_requested' THEN
        UPDATE users SET erasure_requested_at = e.created_at WHERE id = member;
    WHEN 'user_erased' THEN
        PERFORM events_erase_person(e);
    END CASE;
END
$$;

CREATE OR REPLACE FUNCTION events_after_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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
        SELECT s.actor_id, s.chat_id, s.stranger, s.suspended INTO refused
        FROM (SELECT a.actor_id, a.chat_id, a.position, c.closed_at IS NOT NULL AS closed,
                     NOT EXISTS (SELECT 1 FROM chat_participants p
                                 WHERE p.chat_id = a.chat_id AND p.user_id = a.actor_id
                                   AND p.joined_position < a.position) AS stranger,
                     EXISTS (SELECT 1 FROM users u
                             WHERE u.id = a.actor_id
                               AND (u.suspended_until > a.created_at OR u.erasure_requested_at IS NOT NULL)) AS suspended
              FROM appended a LEFT JOIN chats c ON c.id = a.chat_id
              WHERE a.type = 'message_created') s
        WHERE s.stranger OR s.closed OR s.suspended
        ORDER BY s.stranger DESC, s.suspended DESC, s.position
        LIMIT 1;
        IF FOUND AND refused.stranger THEN
            RAISE EXCEPTION 'user % is not a participant of chat %', refused.actor_id, refused.chat_id
                USING ERRCODE = 'insufficient_privilege';
        ELSIF FOUND AND refused.suspended THEN
            RAISE EXCEPTION 'user % is suspended: they may read, not write', refused.actor_id
                USING ERRCODE = 'insufficient_privilege', HINT = 'account_suspended';
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

COMMENT ON TABLE events IS $$The event log: the truth every read model is kept from. Rows are
never deleted (events_immutable refuses it, for every role), and never updated but for one
thing: blanking the content of a message that a messages_purged event of the log has purged
(events_redaction_only; the event says which, why and when).

Scope. A chat's events carry its chat_id; events about a person (user_suspended,
user_unsuspended, user_erasure_requested, user_erased) carry none (events_scope) and name the
person in payload.user_id.

Ordering. Every append takes the transaction-scoped advisory lock (1953854575, 1) before it
draws a position (events_before_insert) and holds it until commit, which PostgreSQL releases
only once the commit is visible. Positions therefore become visible in increasing order: a
reader that has seen position N never later sees a smaller one, so "events after my cursor"
is exact, and the position is the event stream's id. Rolled-back appends leave holes in the
numbering; holes are never filled. created_at is taken under the lock, so it follows log order.

Notification. One NOTIFY per INSERT statement on channel 'tutorchat_events', payload = the
highest position the statement appended (events_after_insert). It is only a wake-up: every
replica's listener reads the table after its cursor, so a lost notification loses nothing.

Read models (chats, chat_participants, chat_memberships, messages, unread counts, reports,
users' suspension and erasure, the notices outbox) change in the appending transaction, by the
triggers, never otherwise; audit_replay() rebuilds them from this table and lists every
difference.$$;

COMMENT ON FUNCTION events_before_insert() IS $$Each row of an append, under the log's lock:
its position, time and (for messages) its message id, then the rules of its type. A refusal
raises with an SQLSTATE the application maps to an HTTP status (and, where a client may act on
it, a HINT naming the API's error code); "a no-op" returns NULL, so no event is appended and
nothing is announced.

Nobody suspended (users.suspended_until ahead) or whose erasure was asked for appends anything
but chat_read.

Who may append what, by type:
- chat_created: direct, only by the lesson trigger (trigger depth 2, no actor) for a completed
  lesson of a student and a teacher; one chat per pair, ever (chats_one_per_pair decides
  races). group: a teacher or an admin, with a title of 1-200 characters, not blank, and an
  optional context object. inquiry: a new guest through a live inquiry link (inquiry_open()).
- message_created: a current participant, in a chat that is not closed; content a string
  (its length is checked by the application: 1-10000 characters, or empty with
  attachments); a reply quotes a message of the same chat written since the sender joined;
  attachments are the sender's unattached uploads to this chat (attachments_bind). A plain
  message is only numbered here: its membership, suspension and closed-chat checks and its
  messages row are done once per statement by events_after_insert.
- message_edited: the author, a participant, of a message not deleted, hidden or purged, in a
  chat that is not closed; the same text again is a no-op. The old text stays in the log
  (until the message is purged).
- message_deleted: the author, a participant, in a chat that is not closed; deleting again is
  a no-op. Soft: the row stays, marked deleted.
- chat_read: a participant, up to a message of the chat; markers only move forward (an older
  one is a no-op).
- participant_added, participant_removed, chat_renamed: groups only, by the owner or an admin;
  a member may remove themself (leave). Adding a member again, removing a non-member, the same
  title again: no-ops. Admins are nobody's members. Whom a teacher may add: events_member_rule.
- chat_closed: inquiry chats only, by the system (no actor); closing again is a no-op. It
  ends the guest's session (guest_sessions).
- message_reported: a participant, of someone else's message they can see (written since they
  joined, not deleted, hidden or purged), once (reports_once), with a reason of 1-500
  characters.
- message_hidden, message_unhidden: an admin, with a reason to hide; hiding a hidden or purged
  message, unhiding one that is not hidden: no-ops.
- messages_purged: see events_purge_rule (retention by the system, erasure by an admin); the
  messages purged already are left out, and none left is a no-op.
- chat_exported: a participant or an admin; its format and the moment it shows.
- user_suspended, user_unsuspended, user_erasure_requested, user_erased: an admin, about
  anyone but an admin (events_user_rule); unsuspending someone not suspended, asking twice for
  an erasure, erasing twice: no-ops; user_erased only once every message of theirs is purged.$$;

COMMENT ON FUNCTION events_apply(events) IS $$What each event does to the read models, row by
row inside the append (a later row of the same statement sees what an earlier one did):
chat_created inserts the chat, its participants and their membership intervals (a group's
members follow as participant_added); participant_added opens an interval and starts the new
member's read marker at the chat's newest message (they see nothing from before they
joined); participant_removed closes it at this position; chat_renamed and chat_closed set the
chat's title and closed_at; message_edited sets the current text and edited_at;
message_deleted marks the message deleted; chat_read moves the reader's marker.
message_created is inserted for the whole statement by events_after_insert.
message_reported inserts a report; message_hidden marks the message hidden (by whom, why),
resolves its open reports and blanks the previews of unsent notifications that quote it;
message_unhidden clears the mark; messages_purged blanks the messages' content everywhere
(events_purge); user_suspended, user_unsuspended and user_erasure_requested set the person's
columns; user_erased replaces their name and email (events_erase_person); chat_exported
changes nothing.$$;

COMMENT ON FUNCTION events_after_insert() IS $$Once per INSERT statement on events, over its
rows, in this order: plain messages' sender (a member who joined before, not suspended) and
closed-chat checks and their messages rows; each chat's last message, message count, activity
and every member's unread count; the offline-notification outbox (a notice for each offline
member, folded per chat); and the one NOTIFY on 'tutorchat_events' with the statement's highest
position.$$;
