-- The log resolved mentions itself before (at a cost that grew with the text and the group, where
-- appends wait for each other); the application resolves them now, and this checks them.
DROP FUNCTION IF EXISTS message_mentions_resolve(bigint, bigint, text);

CREATE OR REPLACE FUNCTION message_mentions_check(p_chat bigint, p_sender bigint, p_content text, p_mentions jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    lowered text;
BEGIN
    IF p_mentions IS NULL OR p_mentions = 'null' OR p_mentions = '[]' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_mentions) <> 'array' OR jsonb_array_length(p_mentions) > 20
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_mentions) x
                  WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^[0-9]{1,18}$') THEN
        RAISE EXCEPTION 'mentions is an array of at most 20 user ids'
            USING ERRCODE = 'check_violation';
    END IF;
    -- Cheap and bounded, whatever the text and the group: at most 20 index lookups, and 20
    -- searches of a text of at most 10,000 characters, lower-cased once.
    lowered := lower(p_content COLLATE "und-x-icu");
    RETURN (
        SELECT jsonb_agg(f.user_id ORDER BY f.first)
        FROM (SELECT i.user_id, min(i.n) AS first
              FROM (SELECT x::text::bigint AS user_id, n
                    FROM jsonb_array_elements(p_mentions) WITH ORDINALITY AS a(x, n)) i
              JOIN chats c ON c.id = p_chat AND c.kind = 'group'
              JOIN chat_participants p ON p.chat_id = p_chat AND p.user_id = i.user_id
              JOIN users u ON u.id = i.user_id AND u.erased_at IS NULL AND u.name <> ''
              WHERE i.user_id <> p_sender
                AND strpos(lowered, '@' || lower(u.name COLLATE "und-x-icu")) > 0
              GROUP BY i.user_id) f);
END
$$;

COMMENT ON FUNCTION message_mentions_check(p_chat bigint, p_sender bigint, p_content text, p_mentions jsonb) IS 'The mentions p_sender''s text p_content may carry in chat p_chat, of those the application resolved (p_mentions: a JSON array of at most 20 user ids, else check_violation): the ids, in their order and once each, of current members of the group but the sender, not erased, whose name follows an "@" in the text (case-insensitively, ICU''s lower case); NULL for none, and always NULL outside a group. The application resolves whom a text mentions before the append (src/log/mentions.rs: the word-start and longest-name rules, at most 20 people); the log only checks, at a cost bounded whatever the text and the group, since it runs where appends wait for each other (events_rule_message_created, events_rule_message_edited).';

REVOKE ALL ON FUNCTION message_mentions_check(p_chat bigint, p_sender bigint, p_content text, p_mentions jsonb) FROM PUBLIC;
