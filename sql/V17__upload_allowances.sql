-- Upload allowances that hold (issue 35).
--
-- Until V16 the only allowance was ATTACHMENT_DAILY_BYTES per user, read by the replica before
-- an upload streamed: parallel uploads each saw the same usage and together stored several
-- times the allowance, and every guest an inquiry link handed out had a full allowance of its
-- own, so one link could fill the storage. Now:
--
-- * What counts is a claim (`upload_claims`), recorded in the database before an upload
--   streams (upload_reserve), under an advisory lock per allowance, so uploads on any number of
--   replicas are checked one after another against the same numbers. A claim is first a
--   reservation (the request's length, at most the file limit, at most what is left), and
--   becomes the stored file's size when the upload is recorded (upload_settle, in the
--   recording transaction) or is deleted when it fails (upload_release). A reservation counts
--   only until its counted_until, so one left by a replica that died mid-upload frees itself.
-- * A stored upload counts for 24 hours from when it was stored, whatever happens to the file
--   afterwards: an unattached upload swept early still counts, so sweeping never hands
--   allowance back.
-- * A guest's uploads count against the guest's own allowance (ATTACHMENT_GUEST_DAILY_BYTES, a
--   few MiB), against their inquiry link's (ATTACHMENT_LINK_DAILY_BYTES, shared by every guest
--   the link opened) and against the link's teacher's (ATTACHMENT_HOST_DAILY_BYTES, shared by
--   the guests of all of that teacher's links). Everyone else's count against their own
--   (ATTACHMENT_DAILY_BYTES). The replicas pass the numbers; the database keeps the counts.
-- * A closed chat takes no upload (as it takes no message).
-- * Guests' unattached uploads are swept after their own, shorter age
--   (ATTACHMENT_GUEST_ORPHAN_SECS): attachments_sweep takes two ages.
--
-- The runtime role gets no privilege on upload_claims: it calls the functions below, which
-- can only reserve within the allowances it names, record, and release a reservation.

CREATE TABLE upload_claims (
    id            bigserial PRIMARY KEY,
    uploader_id   bigint NOT NULL REFERENCES users (id),
    -- A guest's upload: the inquiry link that opened the guest's chat, and its teacher.
    link_id       bigint REFERENCES inquiry_links (id),
    host_id       bigint REFERENCES users (id),
    bytes         bigint NOT NULL CHECK (bytes > 0),
    -- NULL: a reservation, for an upload still streaming; else when the upload was stored.
    stored_at     timestamptz,
    -- The claim counts against the allowances until then.
    counted_until timestamptz NOT NULL
);
CREATE INDEX upload_claims_uploader ON upload_claims (uploader_id, counted_until);
CREATE INDEX upload_claims_link ON upload_claims (link_id, counted_until) WHERE link_id IS NOT NULL;
CREATE INDEX upload_claims_host ON upload_claims (host_id, counted_until) WHERE host_id IS NOT NULL;
CREATE INDEX upload_claims_expired ON upload_claims (counted_until);

COMMENT ON TABLE upload_claims IS $$What counts against the upload allowances: one row per
upload, reserved before it streams (stored_at NULL, counted_until a few minutes ahead), then
settled to the stored file's size (stored_at set, counted_until 24 hours after it) or deleted
when the upload fails. An allowance's usage is the sum of bytes of its claims whose
counted_until is still ahead: per uploader always; for a guest's upload also per inquiry link
(link_id) and per the link's teacher (host_id). Claims are only written by upload_reserve,
upload_settle, upload_release and upload_claims_purge, each under the advisory locks of the
allowances it touches (upload_lock), so concurrent uploads on every replica see each other's
claims. The runtime role has no privilege on the table.$$;

-- The allowances an upload by p_uploader to p_chat counts against besides the uploader's own:
-- for a guest, the inquiry link that opened their chat and that link's teacher (NULL, NULL for
-- everyone else, and for a chat no link opened).
CREATE FUNCTION upload_buckets(p_uploader bigint, p_chat bigint,
                               OUT is_guest boolean, OUT link bigint, OUT host bigint)
LANGUAGE sql STABLE AS $$
    SELECT u.role = 'guest', l.id, l.host_id
    FROM users u
    LEFT JOIN events e ON u.role = 'guest' AND e.chat_id = p_chat AND e.type = 'chat_created'
                      AND e.payload ->> 'kind' = 'inquiry'
    LEFT JOIN inquiry_links l ON l.id = (e.payload ->> 'link_id')::bigint
    WHERE u.id = p_uploader
$$;
REVOKE EXECUTE ON FUNCTION upload_buckets(bigint, bigint) FROM PUBLIC;

-- The advisory locks of an upload's allowances, held until the transaction ends. Always taken
-- in the same order (teacher, link, uploader), so two uploads never wait on each other in a
-- cycle.
CREATE FUNCTION upload_lock(p_uploader bigint, p_link bigint, p_host bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_host IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('upload allowance of host ' || p_host, 0));
    END IF;
    IF p_link IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('upload allowance of link ' || p_link, 0));
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('upload allowance of user ' || p_uploader, 0));
END
$$;
REVOKE EXECUTE ON FUNCTION upload_lock(bigint, bigint, bigint) FROM PUBLIC;

-- How many bytes are left for an upload: the least of what is left of each allowance it counts
-- against (negative when one is overdrawn), which allowance that is ('user', 'guest', 'link' or
-- 'host'; the uploader's own on a tie) and its daily bytes. Call under upload_lock.
CREATE FUNCTION upload_room(p_uploader bigint, p_is_guest boolean, p_link bigint, p_host bigint,
                            p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint,
                            OUT room bigint, OUT allowance text, OUT daily bigint)
LANGUAGE plpgsql STABLE AS $$
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
REVOKE EXECUTE ON FUNCTION upload_room(bigint, boolean, bigint, bigint, bigint, bigint, bigint, bigint) FROM PUBLIC;

CREATE FUNCTION upload_reserve(p_uploader bigint, p_chat bigint, p_bytes bigint, p_for interval,
                               p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint)
RETURNS TABLE (claim_id bigint, reserved bigint, limited_by text, limit_bytes bigint)
LANGUAGE plpgsql AS $$
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
ALTER FUNCTION upload_reserve(bigint, bigint, bigint, interval, bigint, bigint, bigint, bigint)
    SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION upload_reserve(bigint, bigint, bigint, interval, bigint, bigint, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION upload_reserve(bigint, bigint, bigint, interval, bigint, bigint, bigint, bigint)
    TO tutorchat_app;
COMMENT ON FUNCTION upload_reserve(bigint, bigint, bigint, interval, bigint, bigint, bigint, bigint) IS
$$Before an upload by p_uploader to p_chat streams: reserves up to p_bytes (its request's
length, at most the file limit) for p_for, under the locks of every allowance the upload counts
against (upload_lock), and returns the claim and how many bytes it holds. It holds less than
asked when an allowance has less left: limited_by names it ('user', 'guest', 'link', 'host')
with its daily bytes, and a file larger than the reservation is refused. Nothing is reserved
(claim_id NULL) when p_chat is closed (limited_by 'closed') or an allowance has nothing left
(limited_by names it). The daily bytes are the replica's settings: p_user_daily for a user,
p_guest_daily for a guest, whose upload also counts against p_link_daily (every guest of the
same inquiry link) and p_host_daily (every guest of the same teacher's links).$$;

CREATE FUNCTION upload_settle(p_claim bigint, p_uploader bigint, p_chat bigint, p_bytes bigint,
                              p_user_daily bigint, p_guest_daily bigint, p_link_daily bigint, p_host_daily bigint)
RETURNS TABLE (stored boolean, limited_by text, limit_bytes bigint)
LANGUAGE plpgsql AS $$
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
ALTER FUNCTION upload_settle(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint)
    SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION upload_settle(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION upload_settle(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint)
    TO tutorchat_app;
COMMENT ON FUNCTION upload_settle(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint) IS
$$In the transaction that records a finished upload of p_bytes: replaces its reservation
p_claim with a claim of the stored size that counts for 24 hours, and returns stored = true. The
allowances are checked again under their locks, without the reservation: a live reservation
always leaves room for a file that fits in it; one that expired (an upload slower than its
reservation) is refused (stored = false, limited_by and limit_bytes name the allowance) when the
others have used the room meanwhile, and the caller rolls back.$$;

CREATE FUNCTION upload_release(p_claim bigint) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM upload_claims c WHERE c.id = p_claim AND c.stored_at IS NULL
$$;
ALTER FUNCTION upload_release(bigint) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION upload_release(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION upload_release(bigint) TO tutorchat_app;
COMMENT ON FUNCTION upload_release(bigint) IS $$An upload that failed (refused, cut off, not
recorded) gives its reservation back. A stored upload's claim is never released: it counts for
24 hours.$$;

-- Deletes up to p_limit claims that count no more; returns how many.
CREATE FUNCTION upload_claims_purge(p_limit integer) RETURNS integer
LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM upload_claims c WHERE c.id IN (
            SELECT x.id FROM upload_claims x WHERE x.counted_until <= now() ORDER BY x.counted_until LIMIT p_limit)
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;
ALTER FUNCTION upload_claims_purge(integer) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION upload_claims_purge(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION upload_claims_purge(integer) TO tutorchat_app;

-- What was uploaded in the last 24 hours counts from now on, as if it had been claimed.
INSERT INTO upload_claims (uploader_id, link_id, host_id, bytes, stored_at, counted_until)
SELECT a.uploader_id, b.link, b.host, a.size, a.created_at, a.created_at + interval '24 hours'
FROM attachments a CROSS JOIN LATERAL upload_buckets(a.uploader_id, a.chat_id) b
WHERE a.created_at > now() - interval '24 hours';

-- The sweep with two ages: guests' unattached uploads go sooner than others'. V11's
-- single-age version goes.
DROP FUNCTION attachments_sweep(interval, integer);
CREATE FUNCTION attachments_sweep(p_age interval, p_guest_age interval, p_limit integer)
RETURNS TABLE (sha256 text, referenced boolean)
LANGUAGE plpgsql AS $$
DECLARE
    gone text;
BEGIN
    FOR gone IN
        WITH doomed AS (
            SELECT a.id FROM attachments a JOIN users u ON u.id = a.uploader_id
            WHERE a.message_id IS NULL
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
ALTER FUNCTION attachments_sweep(interval, interval, integer) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION attachments_sweep(interval, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION attachments_sweep(interval, interval, integer) TO tutorchat_app;
COMMENT ON FUNCTION attachments_sweep(interval, interval, integer) IS $$Deletes up to p_limit
uploads that no message attached: a guest's once older than p_guest_age, anyone else's once
older than p_age. Returns, for each, its content (SHA-256) and whether another upload still
references it; the caller deletes the bytes of those that are not referenced before it commits
(the advisory lock on each SHA-256, held until then, keeps an upload of the same content from
recording a row meanwhile). Never touches an attached upload, nor an upload's claim on the
allowances (upload_claims): a swept upload still counts for its 24 hours.$$;
