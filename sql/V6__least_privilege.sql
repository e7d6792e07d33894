-- Least privilege. Migrations run as the schema's owner; the replicas connect as a runtime
-- role that is a member of the group role tutorchat_app, which may only:
--   SELECT every table, INSERT into events, and UPDATE lessons.status (completing a lesson).
-- So the runtime role cannot UPDATE or DELETE the log or a projection, write a projection
-- directly, disable a trigger, ALTER or DROP anything (only the owner can), or create tables.
-- The trigger functions that write the projections run with their owner's rights (SECURITY
-- DEFINER) and a pinned search_path, so the caller's search_path cannot redirect what they touch.
--
-- Roles are cluster-wide. The group role is created here when missing (the migrating role
-- then needs CREATEROLE); a DBA may create it beforehand instead: CREATE ROLE tutorchat_app
-- NOLOGIN. Login roles for the replicas are granted it: CREATE ROLE … LOGIN IN ROLE tutorchat_app.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tutorchat_app') THEN
        CREATE ROLE tutorchat_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database of this cluster created it at the same moment
END
$$;

GRANT USAGE ON SCHEMA public TO tutorchat_app;
GRANT SELECT ON users, lessons, chats, chat_participants, messages, events, refinery_schema_history TO tutorchat_app;
GRANT INSERT ON events TO tutorchat_app;
GRANT UPDATE (status) ON lessons TO tutorchat_app;

-- Rule for chat_created (below): it is appended only by the lesson trigger's path.
CREATE OR REPLACE FUNCTION events_before_insert() RETURNS trigger
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

ALTER FUNCTION events_before_insert() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION events_notify() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION events_count_messages() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION events_refuse_change() SET search_path = public, pg_temp;
ALTER FUNCTION lessons_create_chat() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION lessons_stamp_completion() SET search_path = public, pg_temp;

-- events_apply is called only by events_before_insert, inside its owner's rights and pinned
-- search_path (a SET clause per row would cost every append a configuration save and restore);
-- nobody else may call it.
REVOKE EXECUTE ON FUNCTION events_apply(events) FROM PUBLIC;
