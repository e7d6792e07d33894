CREATE OR REPLACE FUNCTION session_revoke(p_sid text, p_until timestamptz) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    DELETE FROM revoked_sessions WHERE until < now();
    INSERT INTO revoked_sessions (sid, until) VALUES (p_sid, p_until) ON CONFLICT (sid) DO NOTHING;
    -- Every replica's listener hears it at once (a signal: see sessions_revoked for one that
    -- was not listening then).
    SELECT pg_notify('tutorchat_signals', json_build_object('session_ended',
        json_build_object('sid', p_sid, 'until', extract(epoch FROM p_until)::bigint))::text);
$$;

COMMENT ON FUNCTION session_revoke(p_sid text, p_until timestamptz) IS 'Signs session p_sid out until p_until (when it would have expired): recorded in revoked_sessions and signalled to every replica (NOTIFY tutorchat_signals, {"session_ended": {"sid", "until"}}). The server calls it for POST /api/logout.';

REVOKE ALL ON FUNCTION session_revoke(p_sid text, p_until timestamptz) FROM PUBLIC;
GRANT ALL ON FUNCTION session_revoke(p_sid text, p_until timestamptz) TO tutorchat_app;
