CREATE OR REPLACE FUNCTION audit_chat_at(p_chat_id bigint, p_at timestamp with time zone) RETURNS TABLE(message_id bigint, sender_id bigint, sender_name text, content text, created_at timestamp with time zone, is_deleted boolean, deleted_at timestamp with time zone, edited_at timestamp with time zone, reply_to_message_id bigint, message_position bigint, attachments jsonb, hidden_at timestamp with time zone, hidden_by bigint, hidden_reason text, purged_at timestamp with time zone, purge_cause text)
    LANGUAGE sql STABLE
    AS $$
    WITH chat AS MATERIALIZED (
        SELECT e.position, e.type, e.actor_id, e.created_at, e.payload,
               (e.payload ->> 'message_id')::bigint AS message_id
        FROM events e
        WHERE e.chat_id = p_chat_id AND e.created_at <= p_at
    ), edits AS (
        SELECT DISTINCT ON (x.message_id) x.message_id, x.payload ->> 'content' AS content, x.created_at AS edited_at
        FROM chat x WHERE x.type = 'message_edited' ORDER BY x.message_id, x.position DESC
    ), deletions AS (
        SELECT x.message_id, min(x.created_at) AS deleted_at
        FROM chat x WHERE x.type = 'message_deleted' GROUP BY x.message_id
    ), moderation AS (
        SELECT DISTINCT ON (x.message_id) x.message_id, x.type, x.created_at, x.actor_id, x.payload ->> 'reason' AS reason
        FROM chat x WHERE x.type IN ('message_hidden', 'message_unhidden') ORDER BY x.message_id, x.position DESC
    ), purges AS (
        -- Whenever it happened: a purged message's content is gone from the log, at any moment.
        SELECT DISTINCT ON (i.id) i.id, x.created_at AS purged_at, x.payload ->> 'cause' AS cause
        FROM events x CROSS JOIN LATERAL (SELECT j::text::bigint AS id FROM jsonb_array_elements(x.payload -> 'message_ids') j) i
        WHERE x.chat_id = p_chat_id AND x.type = 'messages_purged'
        ORDER BY i.id, x.position
    )
    SELECT m.message_id, m.actor_id, u.name::text, coalesce(v.content, m.payload ->> 'content'), m.created_at,
           d.deleted_at IS NOT NULL, d.deleted_at, v.edited_at, (m.payload ->> 'reply_to_message_id')::bigint,
           m.position, m.payload -> 'attachments', h.created_at, h.actor_id, h.reason, p.purged_at, p.cause
    FROM chat m
    JOIN users u ON u.id = m.actor_id
    LEFT JOIN edits v ON v.message_id = m.message_id
    LEFT JOIN deletions d ON d.message_id = m.message_id
    LEFT JOIN moderation h ON h.message_id = m.message_id AND h.type = 'message_hidden'
    LEFT JOIN purges p ON p.id = m.message_id
    WHERE m.type = 'message_created'
    ORDER BY m.position
$$;
