DROP FUNCTION IF EXISTS stream_ticket_issue(bytea, bigint, bigint, interval);

CREATE OR REPLACE FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval, p_session text)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    DELETE FROM stream_tickets WHERE expires_at < now();
    INSERT INTO stream_tickets (hash, user_id, session_expires_at, expires_at, session)
    VALUES (p_hash, p_user, p_session_expires_at, now() + p_ttl, p_session);
$$;

COMMENT ON FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval, p_session text) IS 'Records a stream ticket (its SHA-256) for p_user, usable for p_ttl, asked for by session p_session (its sid, or NULL), and forgets the expired ones. The server calls it for POST /api/events/ticket, after authenticating the person.';

REVOKE ALL ON FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval, p_session text) FROM PUBLIC;
GRANT ALL ON FUNCTION stream_ticket_issue(p_hash bytea, p_user bigint, p_session_expires_at bigint, p_ttl interval, p_session text) TO tutorchat_app;
