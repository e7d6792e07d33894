CREATE OR REPLACE FUNCTION presence_online(p_user bigint) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT online FROM presence_of(p_user)
$$;

COMMENT ON FUNCTION presence_online(p_user bigint) IS 'Whether p_user is online now (presence_of).';
