CREATE OR REPLACE FUNCTION attachments_sweep(p_age interval, p_guest_age interval, p_limit integer) RETURNS TABLE(sha256 text, referenced boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    gone text;
BEGIN
    FOR gone IN
        WITH doomed AS (
            SELECT a.id FROM attachments a JOIN users u ON u.id = a.uploader_id
            WHERE a.message_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM held_messages h WHERE a.id = ANY (h.attachment_ids))
              AND a.created_at < now() - least(p_age, p_guest_age)
              AND a.created_at < now() - CASE WHEN u.role = 'guest' THEN p_guest_age ELSE p_age END
            ORDER BY a.created_at LIMIT p_limit
            FOR UPDATE OF a SKIP LOCKED
        )
        -- message_id IS NULL again: a message that attached one meanwhile wins.
        DELETE FROM attachments a USING doomed d WHERE a.id = d.id AND a.message_id IS NULL
        RETURNING a.sha256
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(gone, 0));
        sha256 := gone;
        referenced := EXISTS (SELECT 1 FROM attachments x WHERE x.sha256 = gone);
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION attachments_sweep(p_age interval, p_guest_age interval, p_limit integer) IS 'Deletes up to p_limit
uploads that no message attached (and no held message will: held_messages): a guest''s once older than p_guest_age, anyone else''s once
older than p_age. Returns, for each, its content (SHA-256) and whether another upload still
references it; the caller deletes the bytes of those that are not referenced before it commits
(the advisory lock on each SHA-256, held until then, keeps an upload of the same content from
recording a row meanwhile). Never touches an attached upload, nor an upload''s claim on the
allowances (upload_claims): a swept upload still counts for its 24 hours.';

REVOKE ALL ON FUNCTION attachments_sweep(p_age interval, p_guest_age interval, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION attachments_sweep(p_age interval, p_guest_age interval, p_limit integer) TO tutorchat_app;
