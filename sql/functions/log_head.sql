CREATE OR REPLACE FUNCTION log_head() RETURNS TABLE (head bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE WHEN u.first IS NULL THEN (SELECT coalesce(max(e.position), 0) FROM events e)
                ELSE (SELECT coalesce(max(e.position), 0) FROM events e WHERE e.position < u.first) END
    FROM (SELECT min(e.position) AS first FROM events e
          WHERE e.xid >= pg_snapshot_xmin(pg_current_snapshot())
            AND e.position > (SELECT f.position FROM log_floor f)) u
$$;

COMMENT ON FUNCTION log_head() IS 'The log head: the end of the settled prefix of the log in this snapshot (0 for an empty log). A row is settled when its transaction is below the oldest one still running (pg_snapshot_xmin); the head is the last row before the first one that is not. Appends draw their positions in the order of their transaction ids (events_append), so every event up to the head is visible in this snapshot, and none can commit below it later. A read-model statement that selects it (SELECT h.head, d.* FROM log_head() h LEFT JOIN LATERAL (…) d ON true) answers data at least as recent as the head, from one snapshot. Set-returning so that PostgreSQL expands it into the calling statement.';
