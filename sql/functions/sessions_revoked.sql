CREATE OR REPLACE FUNCTION sessions_revoked() RETURNS TABLE (sid text, until timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT r.sid, r.until FROM revoked_sessions r WHERE r.until > now();
$$;

COMMENT ON FUNCTION sessions_revoked() IS 'The sessions signed out and not yet expired: what a replica''s listener loads each time it connects, so that a sign-out it did not hear (it was not listening) binds all the same.';

REVOKE ALL ON FUNCTION sessions_revoked() FROM PUBLIC;
GRANT ALL ON FUNCTION sessions_revoked() TO tutorchat_app;
