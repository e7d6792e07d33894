CREATE OR REPLACE FUNCTION notices_fan_out(p_limit integer) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    done bigint;
    head bigint;
    upto bigint;
BEGIN
    -- One fan-out at a time (another replica's: come back next round). No row lock: the
    -- transaction takes an id only when it writes, after the reads, so it holds the log's
    -- settled prefix (log_head) back for as long as its writes take, no longer.
    IF NOT pg_try_advisory_xact_lock(1953854575, 7) THEN
        RETURN 0;
    END IF;
    SELECT f.position INTO done FROM notices_fanned_out f;
    SELECT h.head INTO head FROM log_head() h;
    upto := least(head, done + p_limit);
    IF upto <= done THEN
        RETURN 0;
    END IF;

    -- Each message to each other member who joined before it, folded per member and chat, for
    -- those offline now who have not left the school (deactivated, or being erased). Its
    -- preview is the newest message as it is now (the claim takes it again when it sends).
    INSERT INTO notices AS n (user_id, chat_id, first_message_id, message_id, count, preview, created_at)
    SELECT r.user_id, r.chat_id, r.first_id, r.last_id, r.count, r.preview, r.first_at
    FROM (SELECT p.user_id, s.chat_id, min(s.message_id) AS first_id, max(s.message_id) AS last_id,
                 count(*) AS count, (array_agg(s.preview ORDER BY s.position DESC))[1] AS preview,
                 min(s.created_at) AS first_at
          FROM notices_messages(done, upto) s
          JOIN chat_participants p ON p.chat_id = s.chat_id AND p.user_id <> s.actor_id
                                  AND p.joined_position < s.position
          GROUP BY p.user_id, s.chat_id) r
    WHERE NOT presence_online(r.user_id)
      AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id
                        AND (u.deactivated_at IS NOT NULL OR u.erasure_requested_at IS NOT NULL))
    ON CONFLICT (user_id, chat_id) WHERE state = 'pending'
    DO UPDATE SET count = n.count + excluded.count, message_id = excluded.message_id, preview = excluded.preview;

    -- … and to each guardian linked when the message was written and still, offline, who has
    -- not left and has a browser subscribed (guardians get Web Push only): a student's direct
    -- chat's messages, and, under GUARDIAN_GROUPS=own_messages, the student's own messages in
    -- a group (author_id: only theirs count).
    INSERT INTO notices AS n (user_id, chat_id, first_message_id, message_id, count, preview, created_at, author_id)
    SELECT r.guardian_id, r.chat_id, r.first_id, r.last_id, r.count, r.preview, r.first_at, r.author_id
    FROM (SELECT g.guardian_id, s.chat_id, min(s.message_id) AS first_id, max(s.message_id) AS last_id,
                 count(*) AS count, (array_agg(s.preview ORDER BY s.position DESC))[1] AS preview,
                 min(s.created_at) AS first_at, min(g.student_id) FILTER (WHERE c.kind = 'group') AS author_id
          FROM notices_messages(done, upto) s
          JOIN chats c ON c.id = s.chat_id AND c.kind IN ('direct', 'group')
          JOIN guardian_links g ON g.to_position IS NULL AND g.from_position < s.position
                               AND g.student_id = CASE c.kind WHEN 'direct' THEN c.student_id ELSE s.actor_id END
          WHERE c.kind = 'direct' OR (SELECT x.guardian_groups = 'own_messages' FROM guardian_policy x)
          GROUP BY g.guardian_id, s.chat_id) r
    WHERE EXISTS (SELECT 1 FROM push_subscriptions ps WHERE ps.user_id = r.guardian_id)
      AND NOT presence_online(r.guardian_id)
      AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.guardian_id
                        AND (u.deactivated_at IS NOT NULL OR u.erasure_requested_at IS NOT NULL))
    ON CONFLICT (user_id, chat_id) WHERE state = 'pending'
    DO UPDATE SET count = n.count + excluded.count, message_id = excluded.message_id, preview = excluded.preview;

    UPDATE notices_fanned_out SET position = upto;
    RETURN head - upto;
END
$$;

COMMENT ON FUNCTION notices_fan_out(p_limit integer) IS 'The offline-notification outbox, after commit: writes the notices of the message_created events after notices_fanned_out.position, up to p_limit positions further and never past the settled head (log_head), and moves the cursor there in the same transaction, so a replica that dies before its commit leaves them to the next round: each is written once. A notice for each other member who joined before the message, is offline now and has not left the school, and for each offline guardian with a push subscription, linked then and now, who reads the chat (a student''s direct chat; under GUARDIAN_GROUPS=own_messages the student''s own messages in a group, author_id), folded per user and chat while pending. Returns how many positions are left to fan out (0: caught up, or another transaction is at it: the advisory lock (1953854575, 7), tried, not awaited). Called by the notices worker of every replica before each claim.';

REVOKE ALL ON FUNCTION notices_fan_out(p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION notices_fan_out(p_limit integer) TO tutorchat_app;
