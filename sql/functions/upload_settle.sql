CREATE OR REPLACE FUNCTION upload_settle(p_claim bigint, p_uploader bigint, p_chat bigint, p_bytes bigint, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) RETURNS TABLE(stored boolean, limited_by text, limit_bytes bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    b record;
    r record;
BEGIN
    SELECT * INTO b FROM upload_buckets(p_uploader, p_chat);
    PERFORM upload_lock(p_uploader, b.link, b.host);
    DELETE FROM upload_claims c WHERE c.id = p_claim AND c.uploader_id = p_uploader AND c.stored_at IS NULL;
    SELECT * INTO r FROM upload_room(p_uploader, coalesce(b.is_guest, false), b.link, b.host,
                                     p_user_daily, p_guest_daily, p_link_daily, p_host_daily);
    IF p_bytes > r.room THEN
        RETURN QUERY SELECT false, r.allowance, r.daily;
        RETURN;
    END IF;
    INSERT INTO upload_claims (uploader_id, link_id, host_id, bytes, stored_at, counted_until)
    VALUES (p_uploader, b.link, b.host, p_bytes, now(), now() + interval '24 hours');
    RETURN QUERY SELECT true, NULL::text, NULL::bigint;
END
$$;

COMMENT ON FUNCTION upload_settle(p_claim bigint, p_uploader bigint, p_chat bigint, p_bytes bigint, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) IS 'In the transaction that records a finished upload of p_bytes: replaces its reservation
p_claim with a claim of the stored size that counts for 24 hours, and returns stored = true. The
allowances are checked again under their locks, without the reservation: a live reservation
always leaves room for a file that fits in it; one that expired (an upload slower than its
reservation) is refused (stored = false, limited_by and limit_bytes name the allowance) when the
others have used the room meanwhile, and the caller rolls back.';

REVOKE ALL ON FUNCTION upload_settle(p_claim bigint, p_uploader bigint, p_chat bigint, p_bytes bigint, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION upload_settle(p_claim bigint, p_uploader bigint, p_chat bigint, p_bytes bigint, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint) TO tutorchat_app;
