CREATE OR REPLACE FUNCTION upload_room(p_uploader bigint, p_is_guest boolean, p_link bigint, p_host bigint, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint, OUT room bigint, OUT allowance text, OUT daily bigint) RETURNS record
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    used bigint;
BEGIN
    allowance := CASE WHEN p_is_guest THEN 'guest' ELSE 'user' END;
    daily := CASE WHEN p_is_guest THEN p_guest_daily ELSE p_user_daily END;
    SELECT coalesce(sum(c.bytes), 0) INTO used FROM upload_claims c
    WHERE c.uploader_id = p_uploader AND c.counted_until > now();
    room := daily - used;
    IF p_link IS NOT NULL THEN
        SELECT coalesce(sum(c.bytes), 0) INTO used FROM upload_claims c
        WHERE c.link_id = p_link AND c.counted_until > now();
        IF p_link_daily - used < room THEN
            room := p_link_daily - used;
            allowance := 'link';
            daily := p_link_daily;
        END IF;
    END IF;
    IF p_host IS NOT NULL THEN
        SELECT coalesce(sum(c.bytes), 0) INTO used FROM upload_claims c
        WHERE c.host_id = p_host AND c.counted_until > now();
        IF p_host_daily - used < room THEN
            room := p_host_daily - used;
            allowance := 'host';
            daily := p_host_daily;
        END IF;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION upload_room(p_uploader bigint, p_is_guest boolean, p_link bigint, p_host bigint, p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint, OUT room bigint, OUT allowance text, OUT daily bigint) FROM PUBLIC;
