CREATE OR REPLACE FUNCTION upload_release(p_claim bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    DELETE FROM upload_claims c WHERE c.id = p_claim AND c.stored_at IS NULL
$$;

COMMENT ON FUNCTION upload_release(p_claim bigint) IS 'An upload that failed (refused, cut off, not
recorded) gives its reservation back. A stored upload''s claim is never released: it counts for
24 hours.';

REVOKE ALL ON FUNCTION upload_release(p_claim bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION upload_release(p_claim bigint) TO tutorchat_app;
