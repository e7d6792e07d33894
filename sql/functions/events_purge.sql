CREATE OR REPLACE FUNCTION events_purge(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ids constant bigint[] := ARRAY(SELECT x::text::bigint FROM jsonb_array_elements(e.payload -> 'message_ids') x);
BEGIN
    UPDATE messages SET content = '', attachments = NULL, purged_at = e.created_at, purge_cause = e.payload ->> 'cause'
    WHERE id = ANY (ids);
    -- The log's copies: each message's text and files as it was written, and every edit's text.
    UPDATE events SET payload = (payload - 'attachments') || '{"content": ""}'
    WHERE position IN (SELECT m.position FROM messages m WHERE m.id = ANY (ids));
    UPDATE events SET payload = payload || '{"content": ""}'
    WHERE type = 'message_edited' AND (payload ->> 'message_id')::bigint = ANY (ids);
    -- Their uploads; the bytes once no other upload has the same content (file_deletions_take).
    WITH gone AS (DELETE FROM attachments a WHERE a.message_id = ANY (ids) RETURNING a.sha256)
    INSERT INTO file_deletions (sha256) SELECT DISTINCT g.sha256 FROM gone g ON CONFLICT DO NOTHING;
    -- Offline notifications that may quote them (a fold's preview is its newest message's).
    UPDATE notices SET preview = ''
    WHERE chat_id = e.chat_id AND preview <> ''
      AND first_message_id <= (SELECT max(i) FROM unnest(ids) i) AND message_id >= (SELECT min(i) FROM unnest(ids) i);
END
$$;

REVOKE ALL ON FUNCTION events_purge(e events) FROM PUBLIC;
