CREATE OR REPLACE FUNCTION presence_announce(p_user bigint, p_online boolean, p_last_seen timestamp with time zone) RETURNS void
    LANGUAGE sql
    AS $$
    SELECT pg_notify('tutorchat_signals', json_build_object(
        'presence', json_build_object('user_id', p_user, 'online', p_online, 'last_seen', p_last_seen))::text)
$$;

REVOKE ALL ON FUNCTION presence_announce(p_user bigint, p_online boolean, p_last_seen timestamp with time zone) FROM PUBLIC;
