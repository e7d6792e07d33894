CREATE OR REPLACE FUNCTION events_purge_rule(e events, actor_role text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $_$
DECLARE
    ids bigint[];
BEGIN
    IF jsonb_typeof(e.payload -> 'message_ids') IS DISTINCT FROM 'array'
       OR jsonb_array_length(e.payload -> 'message_ids') NOT BETWEEN 1 AND 1000
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(e.payload -> 'message_ids') x
                  WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^[0-9]{1,18}$') THEN
        RAISE EXCEPTION 'messages_purged needs message_ids: 1 to 1000 message ids' USING ERRCODE = 'check_violation';
    END IF;
    ids := ARRAY(SELECT x::text::bigint FROM jsonb_array_elements(e.payload -> 'message_ids') x);
    IF EXISTS (SELECT 1 FROM unnest(ids) i WHERE NOT EXISTS (
                   SELECT 1 FROM messages m WHERE m.id = i AND m.chat_id = e.chat_id)) THEN
        RAISE EXCEPTION 'messages_purged names a message that is not one of chat %', e.chat_id
            USING ERRCODE = 'check_violation';
    END IF;
    CASE e.payload ->> 'cause'
    WHEN 'retention' THEN
        IF e.actor_id IS NOT NULL THEN
            RAISE EXCEPTION 'only the system purges by retention' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF jsonb_typeof(e.payload -> 'before') IS DISTINCT FROM 'string'
           OR (e.payload ->> 'before')::timestamptz > e.created_at THEN
            RAISE EXCEPTION 'a purge by retention needs its horizon (before), not in the future'
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM messages m WHERE m.id = ANY (ids)
                   AND m.created_at >= (e.payload ->> 'before')::timestamptz) THEN
            RAISE EXCEPTION 'retention purges only messages older than %', e.payload ->> 'before'
                USING ERRCODE = 'check_violation';
        END IF;
    WHEN 'erasure' THEN
        IF actor_role IS DISTINCT FROM 'admin' THEN
            RAISE EXCEPTION 'only an admin erases a person' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF jsonb_typeof(e.payload -> 'user_id') IS DISTINCT FROM 'number' OR NOT EXISTS (
            SELECT 1 FROM users u WHERE u.id = (e.payload ->> 'user_id')::bigint AND u.erasure_requested_at IS NOT NULL) THEN
            RAISE EXCEPTION 'a purge by erasure names a person (user_id) whose erasure was asked for'
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM messages m WHERE m.id = ANY (ids)
                   AND m.sender_id <> (e.payload ->> 'user_id')::bigint) THEN
            RAISE EXCEPTION 'erasure purges only the messages of user %', e.payload ->> 'user_id'
                USING ERRCODE = 'check_violation';
        END IF;
    ELSE
        RAISE EXCEPTION 'messages_purged needs a cause: retention or erasure' USING ERRCODE = 'check_violation';
    END CASE;
END
$_$;

REVOKE ALL ON FUNCTION events_purge_rule(e events, actor_role text) FROM PUBLIC;
