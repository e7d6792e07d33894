CREATE OR REPLACE FUNCTION message_mentions_resolve(p_chat bigint, p_sender bigint, p_content text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT jsonb_agg(f.user_id ORDER BY f.first, f.user_id)
    FROM (SELECT w.user_id, min(w.n) AS first
          FROM (SELECT t.n, p.user_id,
                       rank() OVER (PARTITION BY t.n ORDER BY length(u.name) DESC) AS longest
                FROM (SELECT s.piece, s.n, lag(s.piece) OVER (ORDER BY s.n) AS before
                      FROM regexp_split_to_table(p_content, '@') WITH ORDINALITY AS s(piece, n)) t
                JOIN chat_participants p ON p.chat_id = p_chat AND p.user_id <> p_sender
                JOIN users u ON u.id = p.user_id AND u.erased_at IS NULL AND u.name <> ''
                WHERE t.n > 1
                  AND right(t.before, 1) COLLATE "und-x-icu" !~ '[[:alnum:]]'
                  AND lower(left(t.piece, length(u.name)) COLLATE "und-x-icu") = lower(u.name COLLATE "und-x-icu")
                  AND substr(t.piece, length(u.name) + 1, 1) COLLATE "und-x-icu" !~ '[[:alnum:]]') w
          WHERE w.longest = 1
          GROUP BY w.user_id) f
    WHERE strpos(p_content, '@') > 0
      AND EXISTS (SELECT 1 FROM chats c WHERE c.id = p_chat AND c.kind = 'group')
$$;

COMMENT ON FUNCTION message_mentions_resolve(p_chat bigint, p_sender bigint, p_content text) IS 'Whom p_sender''s text p_content mentions in group p_chat, as the log resolves it when a message is written or edited (events_rule_message_created, events_rule_message_edited): for each "@" at the start of a word (the text''s start, or after a character that is not a letter or a digit), the current members but the sender, not erased, whose name follows it case-insensitively (ICU''s lower case, so Мария and мария match) and is followed by the text''s end or a character that is not a letter or a digit; of several, the longest name (two members of that same name are both mentioned). A JSON array of their ids in the order they are first mentioned, or NULL for none, and always NULL outside a group (a direct chat or an inquiry has only one other person).';

REVOKE ALL ON FUNCTION message_mentions_resolve(p_chat bigint, p_sender bigint, p_content text) FROM PUBLIC;
