CREATE OR REPLACE FUNCTION lessons_check_pair() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'completed'
       AND (NEW.teacher_id, NEW.student_id) IS DISTINCT FROM (OLD.teacher_id, OLD.student_id) THEN
        RAISE EXCEPTION 'lesson % was completed: its teacher and student stay (the chat it opened is theirs)', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = NEW.teacher_id AND u.role = 'teacher')
       OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = NEW.student_id AND u.role = 'student') THEN
        RAISE EXCEPTION 'a lesson is a teacher''s with a student: user % is no teacher or user % no student',
            NEW.teacher_id, NEW.student_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION lessons_check_pair() IS 'A lesson''s teacher is a teacher and its student a student (the integration API and the import may write lessons, so the database holds this, not only the server); a completed lesson keeps its pair, since the chat it opened is that pair''s. In Rust: provisioning::lessons (422 person_role_mismatch, 409 lesson_completed).';

CREATE OR REPLACE TRIGGER lessons_check_pair BEFORE INSERT OR UPDATE OF teacher_id, student_id ON lessons FOR EACH ROW EXECUTE FUNCTION lessons_check_pair();
