-- last_seen from the database's clock, not a replica's. V8's presence_close took the moment a
-- replica saw the last stream close, by the replica's wall clock, and kept the latest of such
-- moments: a replica whose clock ran 90 s fast wrote a last_seen 90 s in the future, and it
-- stayed. A replica now says how long ago the stream closed (measured on its monotonic clock,
-- which no skew moves) and the database subtracts that from its own now(). Every time in the
-- product now comes from PostgreSQL: created_at, edited_at, leases, heartbeats and last_seen.
--
-- V8's presence_close(uuid, bigint, timestamptz) does the work (this one only supplies the
-- moment), and stays callable for replicas of the previous version during a rolling upgrade.

CREATE FUNCTION presence_close(p_replica uuid, p_user bigint, p_ago interval) RETURNS boolean
LANGUAGE sql AS $$
    SELECT presence_close(p_replica, p_user, now() - greatest(p_ago, interval '0'))
$$;

ALTER FUNCTION presence_close(uuid, bigint, interval) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION presence_close(uuid, bigint, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION presence_close(uuid, bigint, interval) TO tutorchat_app;
