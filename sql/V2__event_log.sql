-- The rules of the event log, enforced by the database so that the application and a person
-- at psql obey the same ones.
--
-- Ordering. Every append takes the transaction-scoped advisory lock (1953854575, 1) before it
-- draws a position, and holds it until commit (PostgreSQL releases it only after the commit is
-- visible). Positions therefore become visible in increasing order: a reader that has seen
-- position N will never later see a smaller one, so "events after my cursor" is exact.
-- Rolled-back appends leave holes in the numbering; holes are never filled.
--
-- Notification. One NOTIFY per INSERT statement on channel 'tutorchat_events', payload = the
-- highest position the statement appended. It is only a wake-up: listeners read the table.

-- Keeps the projections in step with the log, in the appending transaction. Called from the
-- BEFORE trigger, row by row, so that a later row of the same INSERT statement sees what an
-- earlier one did (a batch behaves exactly like the same appends made one by one).
CREATE FUNCTION events_apply(e events) RETURNS void
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
        INSERT INTO messages (id, chat_id, sender_id, content, created_at, position)
        VALUES ((e.payload ->> 'message_id')::bigint, e.chat_id, e.actor_id,
                e.payload ->> 'content', e.created_at, e.position);
    WHEN 'message_deleted' THEN
        UPDATE messages
        SET is_deleted = true, deleted_at = e.created_at, deleted_by = e.actor_id
        WHERE id = (e.payload ->> 'message_id')::bigint;
    END CASE;
END
$$;

CREATE FUNCTION events_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target record;
BEGIN
    PERFORM pg_advisory_xact_lock(1953854575, 1);
    NEW.position := nextval('events_position_seq');
    NEW.created_at := clock_timestamp();

    CASE NEW.type
    WHEN 'chat_created' THEN
        IF jsonb_typeof(NEW.payload -> 'student_id') IS DISTINCT FROM 'number'
           OR jsonb_typeof(NEW.payload -> 'teacher_id') IS DISTINCT FROM 'number' THEN
            RAISE EXCEPTION 'chat_created needs numeric payload fields student_id and teacher_id'
                USING ERRCODE = 'check_violation';
        END IF;
    WHEN 'message_created' THEN
        IF jsonb_typeof(NEW.payload -> 'content') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'message_created needs a string payload field content'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM chat_participants
                       WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
            RAISE EXCEPTION 'user % is not a participant of chat %', NEW.actor_id, NEW.chat_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- The log assigns message ids, under the lock, so they grow with positions.
        NEW.payload := jsonb_build_object('message_id', nextval('messages_id_seq'),
                                          'content', NEW.payload ->> 'content');
    WHEN 'message_deleted' THEN
        -- Read after taking the lock: every earlier append has committed and is visible.
        SELECT m.chat_id, m.sender_id, m.is_deleted INTO target
        FROM messages m
        WHERE m.id = CASE WHEN jsonb_typeof(NEW.payload -> 'message_id') = 'number'
                          THEN (NEW.payload ->> 'message_id')::bigint END;
        IF NOT FOUND OR target.chat_id <> NEW.chat_id THEN
            RAISE EXCEPTION 'message % does not exist in chat %', NEW.payload -> 'message_id', NEW.chat_id
                USING ERRCODE = 'no_data_found';
        END IF;
        IF target.sender_id IS DISTINCT FROM NEW.actor_id THEN
            RAISE EXCEPTION 'only the author may delete message %', NEW.payload -> 'message_id'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF target.is_deleted THEN
            RETURN NULL;  -- deleting twice is a no-op: no second event
        END IF;
        NEW.payload := jsonb_build_object('message_id', (NEW.payload ->> 'message_id')::bigint);
    END CASE;
    PERFORM events_apply(NEW);
    RETURN NEW;
END
$$;
CREATE FUNCTION events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
BEGIN
    SELECT max(position) INTO head FROM appended;
    IF head IS NOT NULL THEN
        PERFORM pg_notify('tutorchat_events', head::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is an append-only log: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_before_insert BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_before_insert();
CREATE TRIGGER events_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- ALWAYS: the rules hold even with session_replication_role = replica. Only DDL by the
-- table's owner (DISABLE TRIGGER, DROP) can lift them, and that is visible in the DDL history.
ALTER TABLE events ENABLE ALWAYS TRIGGER events_before_insert;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_notify;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_immutable;

REVOKE UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC;

-- The lesson trigger: the first completed lesson of a (teacher, student) pair creates their chat.
-- The check below is only a shortcut; the unique constraint chats_one_per_pair decides when
-- several completions of the same pair race, and the losers keep the winner's chat.
CREATE FUNCTION lessons_stamp_completion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'completed' AND NEW.completed_at IS NULL THEN
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION lessons_create_chat() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    violated text;
BEGIN
    IF NEW.status <> 'completed'
       OR (TG_OP = 'UPDATE' AND OLD.status = 'completed') THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM chats WHERE student_id = NEW.student_id AND teacher_id = NEW.teacher_id) THEN
        RETURN NULL;
    END IF;
    BEGIN
        INSERT INTO events (chat_id, actor_id, type, payload)
        VALUES (nextval('chats_id_seq'), NULL, 'chat_created',
                jsonb_build_object('student_id', NEW.student_id,
                                   'teacher_id', NEW.teacher_id,
                                   'lesson_id', NEW.id));
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS violated = CONSTRAINT_NAME;
        IF violated IS DISTINCT FROM 'chats_one_per_pair' THEN
            RAISE;
        END IF;
        -- A concurrent completion of the same pair committed the chat first.
    END;
    RETURN NULL;
END
$$;

CREATE TRIGGER lessons_stamp_completion BEFORE INSERT OR UPDATE OF status ON lessons
    FOR EACH ROW EXECUTE FUNCTION lessons_stamp_completion();
CREATE TRIGGER lessons_create_chat AFTER INSERT OR UPDATE OF status ON lessons
    FOR EACH ROW EXECUTE FUNCTION lessons_create_chat();
