CREATE OR REPLACE FUNCTION attachments_bind(p_message bigint, p_chat bigint, p_sender bigint, p_ids jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $_$
DECLARE
    ids bigint[];
    bound jsonb;
    missing bigint;
BEGIN
    IF p_ids IS NULL OR p_ids = 'null' OR p_ids = '[]' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_ids) <> 'array' OR jsonb_array_length(p_ids) > 10
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_ids) x
                  WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^[0-9]{1,18}$') THEN
        RAISE EXCEPTION 'attachment_ids must be an array of at most 10 attachment ids'
            USING ERRCODE = 'check_violation';
    END IF;
    ids := ARRAY(SELECT x::text::bigint FROM jsonb_array_elements(p_ids) x);
    IF (SELECT count(DISTINCT i) FROM unnest(ids) i) <> cardinality(ids) THEN
        RAISE EXCEPTION 'attachment_ids names an attachment twice' USING ERRCODE = 'check_violation';
    END IF;
    WITH bound_rows AS (
        UPDATE attachments a SET message_id = p_message
        WHERE a.id = ANY (ids) AND a.chat_id = p_chat AND a.uploader_id = p_sender AND a.message_id IS NULL
        RETURNING a.*
    )
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', b.id, 'name', b.name, 'content_type', b.content_type, 'size', b.size,
               'sha256', b.sha256, 'width', b.width, 'height', b.height)) ORDER BY array_position(ids, b.id))
    INTO bound FROM bound_rows b;
    IF coalesce(jsonb_array_length(bound), 0) <> cardinality(ids) THEN
        SELECT i INTO missing FROM unnest(ids) i
        WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(bound) x WHERE (x ->> 'id')::bigint = i) LIMIT 1;
        -- Well-formed, but naming what does not fit the state: HINT unfit (422, not 400).
        RAISE EXCEPTION 'attachment % is not an upload of yours to chat % that is still unattached', missing, p_chat
            USING ERRCODE = 'check_violation', HINT = 'unfit';
    END IF;
    RETURN bound;
END
$_$;

REVOKE ALL ON FUNCTION attachments_bind(p_message bigint, p_chat bigint, p_sender bigint, p_ids jsonb) FROM PUBLIC;
