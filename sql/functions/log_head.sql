CREATE OR REPLACE FUNCTION log_head() RETURNS TABLE (head bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(max(position), 0) FROM events
$$;

COMMENT ON FUNCTION log_head() IS 'The log head: the highest position visible now (0 for an empty log). Because positions become visible in order (the append lock of events_before_insert), every event up to it is visible too. A read-model statement that selects it (SELECT h.head, d.* FROM log_head() h LEFT JOIN LATERAL (…) d ON true) answers data at least as recent as the head, from one snapshot. Set-returning so that PostgreSQL expands it into the calling statement.';
