CREATE OR REPLACE FUNCTION presence_sweep() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    dead record;
    gone record;
    offline integer := 0;
BEGIN
    PERFORM presence_lock();
    FOR dead IN
        SELECT replica_id, heartbeat_at FROM presence_replicas WHERE expires_at <= now()
        FOR UPDATE SKIP LOCKED
    LOOP
        FOR gone IN DELETE FROM presence_streams WHERE replica_id = dead.replica_id RETURNING user_id LOOP
            IF NOT presence_online(gone.user_id) THEN
                INSERT INTO user_presence (user_id, last_seen) VALUES (gone.user_id, dead.heartbeat_at)
                ON CONFLICT (user_id) DO UPDATE SET last_seen = greatest(user_presence.last_seen, EXCLUDED.last_seen);
                PERFORM presence_announce(gone.user_id, false, dead.heartbeat_at);
                offline := offline + 1;
            END IF;
        END LOOP;
        DELETE FROM presence_replicas WHERE replica_id = dead.replica_id;
    END LOOP;
    RETURN offline;
END
$$;

REVOKE ALL ON FUNCTION presence_sweep() FROM PUBLIC;
GRANT ALL ON FUNCTION presence_sweep() TO tutorchat_app;
