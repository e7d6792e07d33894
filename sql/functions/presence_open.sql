CREATE OR REPLACE FUNCTION presence_open(p_replica uuid, p_user bigint, p_lease interval) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    was_online boolean;
BEGIN
    PERFORM presence_lock();
    IF NOT EXISTS (SELECT 1 FROM presence_replicas WHERE replica_id = p_replica AND expires_at > now()) THEN
        PERFORM presence_renew(p_replica, p_lease);
    END IF;
    was_online := presence_online(p_user);
    INSERT INTO presence_streams (user_id, replica_id) VALUES (p_user, p_replica) ON CONFLICT DO NOTHING;
    IF NOT was_online THEN
        PERFORM presence_announce(p_user, true, NULL);
    END IF;
    RETURN NOT was_online;
END
$$;

REVOKE ALL ON FUNCTION presence_open(p_replica uuid, p_user bigint, p_lease interval) FROM PUBLIC;
GRANT ALL ON FUNCTION presence_open(p_replica uuid, p_user bigint, p_lease interval) TO tutorchat_app;
