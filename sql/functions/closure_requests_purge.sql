CREATE OR REPLACE FUNCTION closure_requests_purge(p_before timestamptz) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    purged bigint;
BEGIN
    UPDATE closure_requests SET reason = ''
    WHERE requested_at < least(p_before, now()) AND reason <> '';
    GET DIAGNOSTICS purged = ROW_COUNT;
    UPDATE events e SET payload = e.payload || '{"reason": ""}'
    FROM closure_requests r
    WHERE e.position = r.id AND r.reason = '' AND e.payload ->> 'reason' <> '';
    RETURN purged;
END
$$;

COMMENT ON FUNCTION closure_requests_purge(p_before timestamptz) IS 'Retention: blanks the reasons of the closure requests older than p_before (the messages'' horizon; never one in the future), in closure_requests and in their closure_requested events, and answers how many. A request''s reason is a guardian''s words: kept as long as messages are. The retention job calls it with access_records_purge.';

REVOKE ALL ON FUNCTION closure_requests_purge(p_before timestamptz) FROM PUBLIC;
GRANT ALL ON FUNCTION closure_requests_purge(p_before timestamptz) TO tutorchat_app;
