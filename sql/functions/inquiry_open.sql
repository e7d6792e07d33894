CREATE OR REPLACE FUNCTION inquiry_open(p_token text, p_name text) RETURNS TABLE(chat_id bigint, guest_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    link inquiry_links;
    guest bigint;
    chat bigint := nextval('chats_id_seq');
BEGIN
    SELECT * INTO link FROM inquiry_links l WHERE l.token = p_token AND l.revoked_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO users (email, name, role)
    VALUES ('guest-' || gen_random_uuid() || '@guest.invalid', p_name, 'guest')
    RETURNING id INTO guest;
    INSERT INTO events (chat_id, actor_id, type, payload)
    VALUES (chat, guest, 'chat_created', jsonb_build_object('kind', 'inquiry', 'link_id', link.id));
    RETURN QUERY SELECT chat, guest;
END
$$;

REVOKE ALL ON FUNCTION inquiry_open(p_token text, p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION inquiry_open(p_token text, p_name text) TO tutorchat_app;
