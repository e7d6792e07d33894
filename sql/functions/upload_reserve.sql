CREATE OR REPLACE FUNCTION upload_reserve(p_uploader bigint, p_chat bigint, p_bytes bigint, p_for interval, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) RETURNS TABLE(claim_id bigint, reserved bigint, limited_by text, limit_bytes bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    b record;
    r record;
    granted bigint;
    claim bigint;
BEGIN
    IF p_bytes IS NULL OR p_bytes < 1 THEN
        RAISE EXCEPTION 'an upload reserves at least 1 byte, not %', p_bytes USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT c.closed_at FROM chats c WHERE c.id = p_chat) IS NOT NULL THEN
        RETURN QUERY SELECT NULL::bigint, 0::bigint, 'closed'::text, NULL::bigint;
        RETURN;
    END IF;
    SELECT * INTO b FROM upload_buckets(p_uploader, p_chat);
    PERFORM upload_lock(p_uploader, b.link, b.host);
    SELECT * INTO r FROM upload_room(p_uploader, coalesce(b.is_guest, false), b.link, b.host,
                                     p_user_daily, p_guest_daily, p_link_daily, p_host_daily);
    IF r.room < 1 THEN
        RETURN QUERY SELECT NULL::bigint, 0::bigint, r.allowance, r.daily;
        RETURN;
    END IF;
    granted := least(p_bytes, r.room);
    INSERT INTO upload_claims AS c (uploader_id, link_id, host_id, bytes, counted_until)
    VALUES (p_uploader, b.link, b.host, granted, now() + p_for)
    RETURNING c.id INTO claim;
    RETURN QUERY SELECT claim, granted, CASE WHEN granted < p_bytes THEN r.allowance END,
                        CASE WHEN granted < p_bytes THEN r.daily END;
END
$$;

COMMENT ON FUNCTION upload_reserve(p_uploader bigint, p_chat bigint, p_bytes bigint, p_for interval, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) IS 'Before an upload by p_uploader to p_chat streams: reserves up to p_bytes (its request''s
length, at most the file limit) for p_for, under the locks of every allowance the upload counts
against (upload_lock), and returns the claim and how many bytes it holds. It holds less than
asked when an allowance has less left: limited_by names it (''user'', ''guest'', ''link'', ''host'')
with its daily bytes, and a file larger than the reservation is refused. Nothing is reserved
(claim_id NULL) when p_chat is closed (limited_by ''closed'') or an allowance has nothing left
(limited_by names it). The daily bytes are the replica''s settings: p_user_daily for a user,
p_guest_daily for a guest, whose upload also counts against p_link_daily (every guest of the
same inquiry link) and p_host_daily (every guest of the same teacher''s links).';

REVOKE ALL ON FUNCTION upload_reserve(p_uploader bigint, p_chat bigint, p_bytes bigint, p_for interval, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION upload_reserve(p_uploader bigint, p_chat bigint, p_bytes bigint, p_for interval, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) TO tutorchat_app;
