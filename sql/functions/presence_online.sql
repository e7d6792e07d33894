CREATE OR REPLACE FUNCTION presence_online(p_user bigint) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT EXISTS (SELECT 1 FROM presence_streams s
                   JOIN presence_replicas r ON r.replica_id = s.replica_id
                   WHERE s.user_id = p_user AND r.expires_at > now())
$$;
