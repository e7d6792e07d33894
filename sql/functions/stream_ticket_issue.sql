CREATE OR REPLACE FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    DELETE FROM stream_tickets WHERE expires_at < now();
    INSERT INTO stream_tickets (hash, user_id, session_expires_at, expires_at)
    VALUES (p_hash, p_user, p_session_expires_at, now() + p_ttl);
$$;

COMMENT ON FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval) IS 'Records a stream ticket (its SHA-256) for p_user, usable for p_ttl, and forgets the expired ones. The server calls it for POST /api/events/ticket, after authenticating the person.';

REVOKE ALL ON FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval) FROM PUBLIC;
GRANT ALL ON FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval) TO tutorchat_app;
