DROP FUNCTION IF EXISTS stream_ticket_redeem(bytea);

CREATE OR REPLACE FUNCTION stream_ticket_redeem(p_hash bytea)
    RETURNS TABLE (user_id bigint, session_expires_at bigint, session text)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    DELETE FROM stream_tickets t WHERE t.hash = p_hash
    RETURNING CASE WHEN t.expires_at > now() THEN t.user_id END,
              CASE WHEN t.expires_at > now() THEN t.session_expires_at END,
              CASE WHEN t.expires_at > now() THEN t.session END;
$$;

COMMENT ON FUNCTION stream_ticket_redeem(p_hash bytea) IS 'Uses up the stream ticket whose SHA-256 is p_hash: whose stream it opens, when their session ends and which session it is (its sid), once; no row for an unknown or used ticket, NULLs for an expired one (deleted all the same).';

REVOKE ALL ON FUNCTION stream_ticket_redeem(p_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION stream_ticket_redeem(p_hash bytea) TO tutorchat_app;
