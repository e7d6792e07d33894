CREATE OR REPLACE FUNCTION presence_renew(p_replica uuid, p_lease interval) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    existed boolean;
BEGIN
    UPDATE presence_replicas SET heartbeat_at = now(), expires_at = now() + p_lease
    WHERE replica_id = p_replica;
    existed := FOUND;
    IF NOT existed THEN
        INSERT INTO presence_replicas (replica_id, heartbeat_at, expires_at)
        VALUES (p_replica, now(), now() + p_lease)
        ON CONFLICT (replica_id) DO UPDATE SET heartbeat_at = now(), expires_at = now() + p_lease;
    END IF;
    RETURN existed;
END
$$;

REVOKE ALL ON FUNCTION presence_renew(p_replica uuid, p_lease interval) FROM PUBLIC;
GRANT ALL ON FUNCTION presence_renew(p_replica uuid, p_lease interval) TO tutorchat_app;
