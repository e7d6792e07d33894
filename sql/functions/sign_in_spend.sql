CREATE OR REPLACE FUNCTION sign_in_spend(p_state_hash bytea, p_expires_at timestamptz) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    DELETE FROM spent_sign_ins WHERE expires_at < now();
    INSERT INTO spent_sign_ins (state_hash, expires_at) VALUES (p_state_hash, p_expires_at)
    ON CONFLICT (state_hash) DO NOTHING
    RETURNING true;
$$;

COMMENT ON FUNCTION sign_in_spend(p_state_hash bytea, p_expires_at timestamptz) IS 'Spends a sign-in flow''s state (its SHA-256) until p_expires_at: true the first time, NULL once it is spent. The server calls it when the provider sends a browser back, before it exchanges the code.';

REVOKE ALL ON FUNCTION sign_in_spend(p_state_hash bytea, p_expires_at timestamptz) FROM PUBLIC;
GRANT ALL ON FUNCTION sign_in_spend(p_state_hash bytea, p_expires_at timestamptz) TO tutorchat_app;
