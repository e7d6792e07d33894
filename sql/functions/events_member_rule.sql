CREATE OR REPLACE FUNCTION events_member_rule() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM users a WHERE a.id = NEW.actor_id AND a.role = 'teacher')
       AND NEW.actor_id IS DISTINCT FROM (NEW.payload ->> 'user_id')::bigint
       AND NOT EXISTS (
           SELECT 1 FROM users m
           WHERE m.id = (NEW.payload ->> 'user_id')::bigint
             AND (m.role = 'teacher'
                  OR m.role = 'student' AND EXISTS (
                      SELECT 1 FROM lessons l WHERE l.teacher_id = NEW.actor_id AND l.student_id = m.id
                                 AND l.status = 'completed')
                  OR m.role = 'guardian' AND EXISTS (
                      SELECT 1 FROM guardian_links g
                      JOIN lessons l ON l.student_id = g.student_id AND l.teacher_id = NEW.actor_id
                                    AND l.status = 'completed'
                      WHERE g.guardian_id = m.id AND g.to_position IS NULL))) THEN
        RAISE EXCEPTION 'a teacher adds to a group only teachers, their own students (a completed lesson together) and their guardians'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION events_member_rule() IS 'participant_added, after events_before_insert
(triggers of a kind fire in name order): a teacher adds to a group only teachers and the
students they have completed a lesson with (the lesson that opened their direct chat: a
scheduled one is not enough), and the guardians linked now to such a student; an admin adds any student or teacher. So a teacher sees the
presence only of their own students, of colleagues, and of people in groups an admin made.';

CREATE OR REPLACE TRIGGER events_member_rule BEFORE INSERT ON events FOR EACH ROW WHEN ((new.type = 'participant_added'::text)) EXECUTE FUNCTION events_member_rule();
