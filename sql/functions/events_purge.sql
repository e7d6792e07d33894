CREATE OR REPLACE FUNCTION events_purge(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    ids constant bigint[] := ARRAY(SELECT x::text::bigint FROM jsonb_array_elements(e.payload -> 'message_ids') x);
BEGIN
    UPDATE messages SET content = '', attachments = NULL, purged_at = e.created_at, purge_cause = e.payload ->> 'cause',
                        hidden_reason = CASE WHEN hidden_reason IS NOT NULL THEN '' END
    WHERE id = ANY (ids);
    -- The log's copies: each message's text and files as it was written, and every edit's text.
    UPDATE events SET payload = (payload - 'attachments') || '{"content": ""}'
    WHERE position IN (SELECT m.position FROM messages m WHERE m.id = ANY (ids));
    UPDATE events SET payload = payload || '{"content": ""}'
    WHERE type = 'message_edited' AND (payload ->> 'message_id')::bigint = ANY (ids);
    -- What moderators and reporters wrote about them, which may quote them: the reports' and
    -- the hides' reasons (a report's event is at the report's id).
    UPDATE events SET payload = payload || '{"reason": ""}'
    WHERE position IN (SELECT r.id FROM reports r WHERE r.message_id = ANY (ids)) AND payload ->> 'reason' <> '';
    -- (A system flag's cause is the school's own term, not the person's words: it stays.)
    UPDATE reports SET reason = '' WHERE message_id = ANY (ids) AND reason <> '' AND flag IS NULL;
    UPDATE events SET payload = payload || '{"reason": ""}'
    WHERE type = 'message_hidden' AND (payload ->> 'message_id')::bigint = ANY (ids) AND payload ->> 'reason' <> '';
    -- A guest whose every message is gone past retention: their name too (a visitor's own
    -- words, kept no longer than what they wrote).
    IF e.payload ->> 'cause' = 'retention' THEN
        UPDATE users u SET name = 'guest ' || u.id
        WHERE u.role = 'guest' AND u.name <> 'guest ' || u.id
          AND u.id IN (SELECT m.sender_id FROM messages m WHERE m.id = ANY (ids))
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = u.id AND m.purged_at IS NULL);
    END IF;
    -- Their reactions (who reacted how to words that are gone).
    DELETE FROM message_reactions WHERE message_id = ANY (ids);
    -- Whom they mentioned (the log keeps the ids, as it keeps who reacted, not the words).
    DELETE FROM message_mentions WHERE message_id = ANY (ids);
    -- Their uploads; the bytes once no other upload has the same content (file_deletions_take).
    WITH gone AS (DELETE FROM attachments a WHERE a.message_id = ANY (ids) RETURNING a.sha256)
    INSERT INTO file_deletions (sha256) SELECT DISTINCT g.sha256 FROM gone g ON CONFLICT DO NOTHING;
    -- Offline notifications that may quote them (a fold's preview is its newest message's).
    UPDATE notices SET preview = ''
    WHERE chat_id = e.chat_id AND preview <> ''
      AND first_message_id <= (SELECT max(i) FROM unnest(ids) i) AND message_id >= (SELECT min(i) FROM unnest(ids) i);
END
$$;

COMMENT ON FUNCTION events_purge(e events) IS 'What messages_purged does (retention, erasure): the messages'' text and files blanked, in the log too (each message_created and message_edited event), with the reasons of their reports and hides, which may quote them; their reactions and mentions deleted; their uploads deleted (their bytes once no other upload shares them); the offline notifications that may quote them blanked; and, for retention, the name of a guest none of whose messages is left.';

REVOKE ALL ON FUNCTION events_purge(e events) FROM PUBLIC;
