CREATE OR REPLACE FUNCTION upload_buckets(p_uploader bigint, p_chat bigint, OUT is_guest boolean, OUT link bigint, OUT host bigint) RETURNS record
    LANGUAGE sql STABLE
    AS $$
    SELECT u.role = 'guest', l.id, l.host_id
    FROM users u
    LEFT JOIN events e ON u.role = 'guest' AND e.chat_id = p_chat AND e.type = 'chat_created'
                      AND e.payload ->> 'kind' = 'inquiry'
    LEFT JOIN inquiry_links l ON l.id = (e.payload ->> 'link_id')::bigint
    WHERE u.id = p_uploader
$$;

REVOKE ALL ON FUNCTION upload_buckets(p_uploader bigint, p_chat bigint, OUT is_guest boolean, OUT link bigint, OUT host bigint) FROM PUBLIC;
