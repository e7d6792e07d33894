CREATE OR REPLACE FUNCTION file_deletions_take(p_limit integer) RETURNS TABLE(sha256 text, referenced boolean)
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

REVOKE ALL ON FUNCTION file_deletions_take(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION file_deletions_take(p_limit integer) TO tutorchat_app;
