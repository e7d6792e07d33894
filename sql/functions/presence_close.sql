CREATE OR REPLACE FUNCTION presence_close(p_replica uuid, p_user bigint, p_ago interval) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT presence_close(p_replica, p_user, now() - greatest(p_ago, interval '0'))
$$;

CREATE OR REPLACE FUNCTION presence_close(p_replica uuid, p_user bigint, p_at timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    PERFORM presence_lock();
    DELETE FROM presence_streams WHERE user_id = p_user AND replica_id = p_replica;
    IF NOT FOUND OR presence_online(p_user) THEN
        RETURN false;
    END IF;
    INSERT INTO user_presence (user_id, last_seen) VALUES (p_user, p_at)
    ON CONFLICT (user_id) DO UPDATE SET last_seen = greatest(user_presence.last_seen, EXCLUDED.last_seen);
    PERFORM presence_announce(p_user, false, p_at);
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION presence_close(p_replica uuid, p_user bigint, p_ago interval) FROM PUBLIC;
GRANT ALL ON FUNCTION presence_close(p_replica uuid, p_user bigint, p_ago interval) TO tutorchat_app;

REVOKE ALL ON FUNCTION presence_close(p_replica uuid, p_user bigint, p_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION presence_close(p_replica uuid, p_user bigint, p_at timestamp with time zone) TO tutorchat_app;
