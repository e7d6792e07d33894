CREATE OR REPLACE FUNCTION access_records_purge(p_before timestamptz) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    WITH gone AS (DELETE FROM access_records WHERE read_at < least(p_before, now()) RETURNING 1)
    SELECT count(*) FROM gone;
$$;

COMMENT ON FUNCTION access_records_purge(p_before timestamptz) IS 'Retention: removes the access records older than p_before (the messages'' horizon; never one in the future), and answers how many. The retention job calls it after the messages; nothing else removes an access record.';

REVOKE ALL ON FUNCTION access_records_purge(p_before timestamptz) FROM PUBLIC;
GRANT ALL ON FUNCTION access_records_purge(p_before timestamptz) TO tutorchat_app;
