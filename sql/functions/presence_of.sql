CREATE OR REPLACE FUNCTION presence_of(p_user bigint) RETURNS TABLE (online boolean, last_seen timestamptz)
    LANGUAGE sql STABLE
    AS $$
    SELECT EXISTS (SELECT 1 FROM presence_streams s
                   JOIN presence_replicas r ON r.replica_id = s.replica_id
                   WHERE s.user_id = p_user AND r.expires_at > now()),
           (SELECT u.last_seen FROM user_presence u WHERE u.user_id = p_user)
$$;

COMMENT ON FUNCTION presence_of(p_user bigint) IS 'Whether p_user has an event stream open on a replica that is alive (its lease not expired), and when their last stream closed. A set-returning SQL function so that PostgreSQL expands it into the statement that calls it (FROM … CROSS JOIN LATERAL presence_of(u.id)), as it does not a scalar one with a subquery. A standby cannot read it: the presence tables are UNLOGGED.';
