CREATE OR REPLACE FUNCTION presence_leave(p_replica uuid, p_grace interval) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    UPDATE presence_replicas SET heartbeat_at = now(), expires_at = now() + p_grace WHERE replica_id = p_replica
$$;

REVOKE ALL ON FUNCTION presence_leave(p_replica uuid, p_grace interval) FROM PUBLIC;
GRANT ALL ON FUNCTION presence_leave(p_replica uuid, p_grace interval) TO tutorchat_app;
