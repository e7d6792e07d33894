CREATE OR REPLACE FUNCTION upload_claims_purge(p_limit integer) RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    WITH gone AS (
        DELETE FROM upload_claims c WHERE c.id IN (
            SELECT x.id FROM upload_claims x WHERE x.counted_until <= now() ORDER BY x.counted_until LIMIT p_limit)
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

REVOKE ALL ON FUNCTION upload_claims_purge(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION upload_claims_purge(p_limit integer) TO tutorchat_app;
