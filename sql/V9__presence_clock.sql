-- last_seen from the database's clock, not a replica's. V8's presence_close took the moment a
-- replica saw the last stream close, by the replica's wall clock, and kept the latest of such
-- moments: a replica whose clock ran 90 s fast wrote a last_seen 90 s in the future, and it
-- stayed. A replica now says how long ago the stream closed (measured on its monotonic clock,
-- which no skew moves) and the database subtracts that from its own now(). Every time in the
-- product now comes from PostgreSQL: created_at, edited_at, leases, heartbeats and last_seen.
--
-- V8's presence_close(uuid, bigint, timestamptz) stays for replicas of the previous version
-- during a rolling upgrade; nothing of this version calls it.

CREATE FUNCTION presence_close(p_replica uuid, p_user bigint, p_ago interval) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    seen timestamptz := now() - greatest(p_ago, interval '0');
BEGIN
    PERFORM presence_lock();
    DELETE FROM presence_streams WHERE user_id = p_user AND replica_id = p_replica;
    IF NOT FOUND OR presence_online(p_user) THEN
        RETURN false;
    END IF;
    INSERT INTO user_presence (user_id, last_seen) VALUES (p_user, seen)
    ON CONFLICT (user_id) DO UPDATE SET last_seen = greatest(user_presence.last_seen, EXCLUDED.last_seen);
    PERFORM presence_announce(p_user, false, seen);
    RETURN true;
END
$$;

ALTER FUNCTION presence_close(uuid, bigint, interval) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION presence_close(uuid, bigint, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION presence_close(uuid, bigint, interval) TO tutorchat_app;
