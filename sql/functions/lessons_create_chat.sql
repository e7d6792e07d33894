CREATE OR REPLACE FUNCTION lessons_create_chat() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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
        PERFORM events_append(ARRAY[nextval('chats_id_seq')], ARRAY[NULL::bigint], ARRAY['chat_created'],
                              ARRAY[jsonb_build_object('student_id', NEW.student_id, 'teacher_id', NEW.teacher_id,
                                                       'lesson_id', NEW.id)],
                              ARRAY[NULL::text]);
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

CREATE OR REPLACE TRIGGER lessons_create_chat AFTER INSERT OR UPDATE OF status ON lessons FOR EACH ROW EXECUTE FUNCTION lessons_create_chat();
