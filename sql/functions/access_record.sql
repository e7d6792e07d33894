CREATE OR REPLACE FUNCTION access_record(p_reader bigint, p_chats bigint[], p_via text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
    INSERT INTO access_records (chat_id, reader_id, via)
    SELECT DISTINCT c, p_reader, p_via FROM unnest(p_chats) c
    WHERE NOT EXISTS (SELECT 1 FROM chat_participants p WHERE p.chat_id = c AND p.user_id = p_reader);
$$;

COMMENT ON FUNCTION access_record(p_reader bigint, p_chats bigint[], p_via text) IS 'Records that p_reader, who takes no part in them, read chats p_chats through p_via (history, export, search, stream, attachment, chat_list): one row a chat, none for a chat they are a member of (a guardian''s own family chat: theirs to read as any member''s). The server calls it on every such read; it is the only way the runtime role adds to access_records, and it can change or delete none.';

REVOKE ALL ON FUNCTION access_record(p_reader bigint, p_chats bigint[], p_via text) FROM PUBLIC;
GRANT ALL ON FUNCTION access_record(p_reader bigint, p_chats bigint[], p_via text) TO tutorchat_app;
