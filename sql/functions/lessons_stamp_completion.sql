CREATE OR REPLACE FUNCTION lessons_stamp_completion() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF NEW.status = 'completed' AND NEW.completed_at IS NULL THEN
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER lessons_stamp_completion BEFORE INSERT OR UPDATE OF status ON lessons FOR EACH ROW EXECUTE FUNCTION lessons_stamp_completion();
