CREATE OR REPLACE FUNCTION log_floor_after_restore() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    moved bigint;
BEGIN
    -- A row whose transaction id this cluster has not reached yet was not appended here: the
    -- log came from a logical copy. Every row there now is settled (nothing appends while the
    -- server starts), the xids above the floor are this cluster's own from now on.
    IF EXISTS (SELECT 1 FROM events
               WHERE xid >= pg_snapshot_xmax(pg_current_snapshot()) AND position > (SELECT f.position FROM log_floor f)) THEN
        UPDATE log_floor SET position = (SELECT max(position) FROM events) RETURNING position INTO moved;
    END IF;
    RETURN moved;
END
$$;

COMMENT ON FUNCTION log_floor_after_restore() IS 'Run at every migrating start-up: if any event above the floor carries a transaction id this cluster has not reached (the database was restored from a logical copy, whose xids are another cluster''s), moves log_floor to the last position, so that the restored rows count as settled; answers the new floor, or NULL when nothing was restored. A physical copy (a standby, pg_basebackup, pgBackRest, pg_upgrade) keeps the counter and needs nothing.';

REVOKE ALL ON FUNCTION log_floor_after_restore() FROM PUBLIC;
