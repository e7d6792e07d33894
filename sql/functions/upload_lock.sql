CREATE OR REPLACE FUNCTION upload_lock(p_uploader bigint, p_link bigint, p_host bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF p_host IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('upload allowance of host ' || p_host, 0));
    END IF;
    IF p_link IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('upload allowance of link ' || p_link, 0));
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('upload allowance of user ' || p_uploader, 0));
END
$$;

REVOKE ALL ON FUNCTION upload_lock(p_uploader bigint, p_link bigint, p_host bigint) FROM PUBLIC;
