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
    -- Through the log's own append, as every request's event goes: a raw INSERT would hold the
    -- log lock exclusively until this transaction commits, and every append of the school
    -- (anonymous visitors reach this) would wait for it.
    PERFORM events_append(ARRAY[chat], ARRAY[guest], ARRAY['chat_created'],
                          ARRAY[jsonb_build_object('kind', 'inquiry', 'link_id', link.id)], ARRAY[NULL::text]);
    RETURN QUERY SELECT chat, guest;
END
$$;

REVOKE ALL ON FUNCTION inquiry_open(p_token text, p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION inquiry_open(p_token text, p_name text) TO tutorchat_app;
