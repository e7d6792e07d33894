CREATE OR REPLACE FUNCTION audit_chat_attachments(p_chat_id bigint) RETURNS TABLE(attachment_id bigint, uploaded_at timestamp with time zone, uploader_id bigint, uploader_name text, name text, content_type text, size bigint, sha256 text, message_id bigint, message_deleted boolean)
    LANGUAGE sql STABLE
    AS $$
    SELECT a.id, a.created_at, a.uploader_id, u.name, a.name, a.content_type, a.size, a.sha256,
           a.message_id, m.is_deleted
    FROM attachments a
    JOIN users u ON u.id = a.uploader_id
    LEFT JOIN messages m ON m.id = a.message_id
    WHERE a.chat_id = p_chat_id
    ORDER BY a.id
$$;
