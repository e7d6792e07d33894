CREATE OR REPLACE FUNCTION presence_lock() RETURNS void
    LANGUAGE sql
    AS $$
    SELECT pg_advisory_xact_lock(1953854575, 2)
$$;

REVOKE ALL ON FUNCTION presence_lock() FROM PUBLIC;
