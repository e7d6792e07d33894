DROP FUNCTION IF EXISTS inquiry_open(text, text);

CREATE OR REPLACE FUNCTION inquiry_open(p_token text, p_name text, p_question text DEFAULT NULL)
    RETURNS TABLE(chat_id bigint, guest_id bigint)
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
    -- Through the log's own append, as every request's event goes, and in one: a raw INSERT
    -- would hold the log lock exclusively until this transaction commits (anonymous visitors
    -- reach this), and a second append in the same transaction would wait for every append in
    -- flight while its first held them up (two openings at once: a deadlock).
    IF p_question IS NULL THEN
        PERFORM events_append(ARRAY[chat], ARRAY[guest], ARRAY['chat_created'],
                              ARRAY[jsonb_build_object('kind', 'inquiry', 'link_id', link.id)], ARRAY[NULL::text]);
    ELSE
        PERFORM events_append(ARRAY[chat, chat], ARRAY[guest, guest], ARRAY['chat_created', 'message_created'],
                              ARRAY[jsonb_build_object('kind', 'inquiry', 'link_id', link.id),
                                    jsonb_build_object('content', p_question)],
                              ARRAY[NULL::text, NULL::text]);
    END IF;
    RETURN QUERY SELECT chat, guest;
END
$$;

COMMENT ON FUNCTION inquiry_open(text, text, text) IS 'A visitor''s inquiry through the link whose token is p_token: a guest named p_name, their inquiry chat with the link''s teacher and, if given, its first message p_question, appended together in one events_append (nothing for a revoked or unknown link).';

REVOKE ALL ON FUNCTION inquiry_open(p_token text, p_name text, p_question text) FROM PUBLIC;
GRANT ALL ON FUNCTION inquiry_open(p_token text, p_name text, p_question text) TO tutorchat_app;
