CREATE OR REPLACE FUNCTION notices_purge(p_keep interval, p_limit integer) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    WITH doomed AS (
        SELECT n.id FROM notices n
        WHERE n.settled_at IS NOT NULL AND n.settled_at < now() - p_keep
          AND n.state IN ('delivered', 'failed', 'cancelled')
        ORDER BY n.settled_at LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM notices n USING doomed d WHERE n.id = d.id RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

REVOKE ALL ON FUNCTION notices_purge(p_keep interval, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION notices_purge(p_keep interval, p_limit integer) TO tutorchat_app;
