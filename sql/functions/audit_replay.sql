CREATE OR REPLACE FUNCTION audit_replay(p_since bigint DEFAULT NULL::bigint) RETURNS TABLE(projection text, row_key text, problem text, replayed jsonb, live jsonb)
    LANGUAGE plpgsql
    SET work_mem TO '256MB'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
DECLARE
    everything constant boolean := p_since IS NULL;
    started constant timestamptz := clock_timestamp();
    head bigint;
    low bigint;
    slice bigint;
    slices constant integer := 10;
    scratch text;
    scope bigint[] := '{}';
BEGIN
    -- The scratch tables of the session's previous call.
    FOREACH scratch IN ARRAY ARRAY['replay_other', 'replay_changes', 'replay_moderation', 'replay_messages',
                                   'replay_activity', 'replay_chats', 'replay_chat_memberships',
                                   'replay_chat_participants', 'replay_problems'] LOOP
        IF to_regclass('pg_temp.' || scratch) IS NOT NULL THEN
            EXECUTE format('DROP TABLE pg_temp.%I', scratch);
        END IF;
    END LOOP;

    -- Each statement below reads the log or a projection in a snapshot of its own unless the
    -- caller's transaction holds one: an append committed between two of them (a message
    -- sent meanwhile, an erasure's next batch) would show as a difference.
    IF current_setting('transaction_isolation') = 'read committed' THEN
        RAISE NOTICE 'audit_replay: at READ COMMITTED, appends committed during the audit may show as differences; for one snapshot run it inside BEGIN ISOLATION LEVEL REPEATABLE READ';
    END IF;

    -- The chats to check: every chat, or those with an event after p_since. (An array, not a
    -- table: `everything OR chat_id = ANY (scope)` folds to an index condition in each plan.)
    IF NOT everything THEN
        scope := ARRAY(SELECT DISTINCT e.chat_id FROM events e WHERE e.position > p_since);
    END IF;

    -- Every event but messages' creation: chats, membership, renames, edits, deletions, reads.
    CREATE TEMP TABLE replay_other AS
    SELECT e.position, e.chat_id, e.type, e.actor_id, e.created_at, e.payload
    FROM events e
    WHERE e.type <> 'message_created'
      AND (everything OR e.chat_id = ANY (scope));
    ANALYZE replay_other;

    -- Each message's newest edit (its text and mentions) and first deletion.
    CREATE TEMP TABLE replay_changes AS
    SELECT coalesce(v.message_id, d.message_id) AS message_id, v.content, v.edited_at, v.mentions,
           d.deleted_at, d.deleted_by
    FROM (SELECT DISTINCT ON (1) (x.payload ->> 'message_id')::bigint AS message_id,
                 x.payload ->> 'content' AS content, x.created_at AS edited_at, x.payload -> 'mentions' AS mentions
          FROM replay_other x WHERE x.type = 'message_edited'
          ORDER BY 1, x.position DESC) v
    FULL JOIN (SELECT DISTINCT ON (1) (x.payload ->> 'message_id')::bigint AS message_id,
                      x.created_at AS deleted_at, x.actor_id AS deleted_by
               FROM replay_other x WHERE x.type = 'message_deleted'
               ORDER BY 1, x.position) d ON d.message_id = v.message_id;
    ANALYZE replay_changes;

    -- Each message's moderation: hidden (its newest of hidden/unhidden was a hide), purged (its
    -- first purge).
    CREATE TEMP TABLE replay_moderation AS
    SELECT coalesce(h.message_id, p.message_id) AS message_id, h.hidden_at, h.hidden_by, h.hidden_reason,
           p.purged_at, p.purge_cause
    FROM (SELECT s.message_id, s.hidden_at, s.hidden_by, s.hidden_reason
          FROM (SELECT DISTINCT ON (1) (x.payload ->> 'message_id')::bigint AS message_id, x.type,
                       x.created_at AS hidden_at, x.actor_id AS hidden_by, x.payload ->> 'reason' AS hidden_reason
                FROM replay_other x WHERE x.type IN ('message_hidden', 'message_unhidden')
                ORDER BY 1, x.position DESC) s
          WHERE s.type = 'message_hidden') h
    FULL JOIN (SELECT DISTINCT ON (1) i::text::bigint AS message_id, x.created_at AS purged_at,
                      x.payload ->> 'cause' AS purge_cause
               FROM replay_other x CROSS JOIN LATERAL jsonb_array_elements(x.payload -> 'message_ids') i
               WHERE x.type = 'messages_purged'
               ORDER BY 1, x.position) p ON p.message_id = h.message_id;
    ANALYZE replay_moderation;
    RAISE NOTICE 'audit_replay: % events other than messages read (% s)',
        (SELECT count(*) FROM replay_other), round(extract(epoch FROM clock_timestamp() - started), 1);

    CREATE TEMP TABLE replay_messages (
        id bigint, chat_id bigint, sender_id bigint, content text, is_deleted boolean,
        created_at timestamptz, deleted_at timestamptz, deleted_by bigint, position bigint,
        edited_at timestamptz, reply_to_id bigint, attachments jsonb, hidden_at timestamptz, hidden_by bigint,
        hidden_reason text, purged_at timestamptz, purge_cause text, mentions jsonb
    );
    -- Messages: in ten slices of the log by position (each a range of the primary key), or,
    -- given p_since, at once from the chats in scope (through the (chat_id, position) index).
    IF everything THEN
        SELECT coalesce(min(e.position), 1), coalesce(max(e.position), 0) INTO low, head FROM events e;
        slice := (head - low) / slices + 1;
    END IF;
    FOR i IN 0 .. CASE WHEN everything THEN slices - 1 ELSE 0 END LOOP
        INSERT INTO replay_messages
        SELECT (c.payload ->> 'message_id')::bigint, c.chat_id, c.actor_id,
               coalesce(v.content, c.payload ->> 'content'), v.deleted_at IS NOT NULL,
               c.created_at, v.deleted_at, v.deleted_by, c.position, v.edited_at,
               (c.payload ->> 'reply_to_message_id')::bigint, c.payload -> 'attachments',
               o.hidden_at, o.hidden_by, o.hidden_reason, o.purged_at, o.purge_cause,
               CASE WHEN v.edited_at IS NOT NULL THEN v.mentions ELSE c.payload -> 'mentions' END
        FROM events c
        LEFT JOIN replay_changes v ON v.message_id = (c.payload ->> 'message_id')::bigint
        LEFT JOIN replay_moderation o ON o.message_id = (c.payload ->> 'message_id')::bigint
        WHERE c.type = 'message_created'
          AND (NOT everything OR (c.position >= low + i * slice AND c.position < low + (i + 1) * slice))
          AND (everything OR c.chat_id = ANY (scope));
        IF everything THEN
            RAISE NOTICE 'audit_replay: messages replayed up to position % of % (% %%, % s)',
                least(low + (i + 1) * slice - 1, head), head, (i + 1) * 100 / slices,
                round(extract(epoch FROM clock_timestamp() - started), 1);
        ELSE
            RAISE NOTICE 'audit_replay: messages of % chats with events after position % replayed (% s)',
                cardinality(scope), p_since, round(extract(epoch FROM clock_timestamp() - started), 1);
        END IF;
    END LOOP;
    ANALYZE replay_messages;

    -- Per chat: the newest visible message, how many are visible, and the newest of all (its
    -- activity). The newest message's time is taken from its row (times follow positions, but
    -- the projection records the newest message's own).
    CREATE TEMP TABLE replay_activity AS
    SELECT a.chat_id, a.last_message_id, a.message_count, a.first_position, a.active_position, m.created_at AS active_at
    FROM (SELECT m.chat_id, max(m.id) FILTER (WHERE NOT m.is_deleted) AS last_message_id,
                 count(*) FILTER (WHERE NOT m.is_deleted) AS message_count,
                 min(m.position) AS first_position, max(m.position) AS active_position
          FROM replay_messages m GROUP BY m.chat_id) a
    JOIN replay_messages m ON m.position = a.active_position;
    ANALYZE replay_activity;

    CREATE TEMP TABLE replay_chats AS
    SELECT e.chat_id AS id, (e.payload ->> 'student_id')::bigint AS student_id,
           coalesce(h.teacher_id, (e.payload ->> 'teacher_id')::bigint) AS teacher_id, e.created_at,
           a.last_message_id, coalesce(a.message_count, 0) AS message_count,
           coalesce(e.payload ->> 'kind', 'direct') AS kind,
           coalesce(t.title, e.payload ->> 'title') AS title, e.payload -> 'context' AS context,
           e.actor_id AS created_by, coalesce(a.active_position, e.position) AS active_position,
           coalesce(a.active_at, e.created_at) AS active_at, z.created_at AS closed_at,
           coalesce((e.payload ->> 'announcement')::boolean, false) AS announcement, e.payload ->> 'audience' AS audience,
           (e.payload ->> 'guardian_id')::bigint AS guardian_id,
           CASE WHEN e.payload -> 'announcement' = 'true' THEN coalesce(e.payload ->> 'recipients', 'students') END
               AS recipients
    FROM replay_other e
    LEFT JOIN replay_activity a ON a.chat_id = e.chat_id
    LEFT JOIN (SELECT DISTINCT ON (x.chat_id) x.chat_id, x.payload ->> 'title' AS title
               FROM replay_other x WHERE x.type = 'chat_renamed' ORDER BY x.chat_id, x.position DESC) t
           ON t.chat_id = e.chat_id
    LEFT JOIN (SELECT DISTINCT ON (x.chat_id) x.chat_id, x.created_at
               FROM replay_other x WHERE x.type = 'chat_closed' ORDER BY x.chat_id, x.position) z
           ON z.chat_id = e.chat_id
    LEFT JOIN (SELECT DISTINCT ON (x.chat_id) x.chat_id, (x.payload ->> 'to_teacher_id')::bigint AS teacher_id
               FROM replay_other x WHERE x.type = 'chat_handed_over' ORDER BY x.chat_id, x.position DESC) h
           ON h.chat_id = e.chat_id
    WHERE e.type = 'chat_created';

    -- Every membership interval: a join (a direct chat's or an inquiry's opening, or
    -- participant_added) up to the next removal of the same user from the same chat.
    CREATE TEMP TABLE replay_chat_memberships AS
    WITH joins AS (
        SELECT e.chat_id, p.user_id, p.role, e.position, e.created_at
        FROM replay_other e
        CROSS JOIN LATERAL (VALUES ((e.payload ->> 'teacher_id')::bigint, 'teacher'),
                                   ((e.payload ->> 'student_id')::bigint, 'student')) AS p (user_id, role)
        WHERE e.type = 'chat_created' AND coalesce(e.payload ->> 'kind', 'direct') = 'direct'
        UNION ALL
        SELECT e.chat_id, p.user_id, p.role, e.position, e.created_at
        FROM replay_other e
        CROSS JOIN LATERAL (VALUES ((e.payload ->> 'host_id')::bigint, 'teacher'),
                                   ((e.payload ->> 'guest_id')::bigint, 'guest')) AS p (user_id, role)
        WHERE e.type = 'chat_created' AND e.payload ->> 'kind' = 'inquiry'
        UNION ALL
        SELECT e.chat_id, p.user_id, p.role, e.position, e.created_at
        FROM replay_other e
        CROSS JOIN LATERAL (VALUES ((e.payload ->> 'teacher_id')::bigint, 'teacher'),
                                   ((e.payload ->> 'guardian_id')::bigint, 'guardian')) AS p (user_id, role)
        WHERE e.type = 'chat_created' AND e.payload ->> 'kind' = 'family'
        UNION ALL
        SELECT e.chat_id, (e.payload ->> 'user_id')::bigint, e.payload ->> 'role', e.position, e.created_at
        FROM replay_other e WHERE e.type = 'participant_added'
        UNION ALL
        -- A successor inherits the teacher's membership, from the chat's opening.
        SELECT e.chat_id, (e.payload ->> 'to_teacher_id')::bigint, 'teacher', c.position, e.created_at
        FROM replay_other e JOIN replay_other c ON c.chat_id = e.chat_id AND c.type = 'chat_created'
        WHERE e.type = 'chat_handed_over'
    ), removals AS (
        SELECT x.chat_id, (x.payload ->> 'user_id')::bigint AS user_id, x.position
        FROM replay_other x WHERE x.type = 'participant_removed'
        UNION ALL
        SELECT x.chat_id, (x.payload ->> 'from_teacher_id')::bigint, x.position
        FROM replay_other x WHERE x.type = 'chat_handed_over'
    )
    SELECT j.user_id, j.chat_id, j.position AS from_position, min(r.position) AS to_position,
           j.role, j.created_at AS joined_at
    FROM joins j
    LEFT JOIN removals r ON r.chat_id = j.chat_id AND r.user_id = j.user_id AND r.position > j.position
    GROUP BY j.user_id, j.chat_id, j.position, j.role, j.created_at;
    ANALYZE replay_chat_memberships;

    -- Current members: read up to their newest chat_read marker, or, for one who joined after
    -- messages were written, at least up to the chat's newest message when they joined.
    CREATE TEMP TABLE replay_chat_participants AS
    WITH current AS (
        SELECT s.* FROM replay_chat_memberships s WHERE s.to_position IS NULL
    ), markers AS (
        SELECT x.chat_id, x.actor_id AS user_id, max((x.payload ->> 'up_to_message_id')::bigint) AS up_to
        FROM replay_other x WHERE x.type = 'chat_read' GROUP BY x.chat_id, x.actor_id
    ), joined_late AS (
        SELECT s.chat_id, s.user_id, max(m.id) AS seen
        FROM current s
        JOIN replay_activity a ON a.chat_id = s.chat_id AND a.first_position < s.from_position
        JOIN replay_messages m ON m.chat_id = s.chat_id AND m.position < s.from_position
        GROUP BY s.chat_id, s.user_id
    ), taken_over AS (
        -- A successor took the chat over having read up to its newest message then.
        SELECT x.chat_id, (x.payload ->> 'to_teacher_id')::bigint AS user_id,
               (SELECT max(m.id) FROM replay_messages m WHERE m.chat_id = x.chat_id AND m.position < x.position) AS seen
        FROM replay_other x WHERE x.type = 'chat_handed_over'
    ), members AS (
        SELECT s.chat_id, s.user_id, s.role, s.joined_at, s.from_position AS joined_position,
               greatest(coalesce(k.up_to, 0), coalesce(l.seen, 0), coalesce(h.seen, 0)) AS last_read_message_id
        FROM current s
        LEFT JOIN markers k ON k.chat_id = s.chat_id AND k.user_id = s.user_id
        LEFT JOIN joined_late l ON l.chat_id = s.chat_id AND l.user_id = s.user_id
        LEFT JOIN taken_over h ON h.chat_id = s.chat_id AND h.user_id = s.user_id
    ), settings AS (
        -- Each member's newest mute (or unmute) and archive (or unarchive), counted from their
        -- current membership only (leaving drops their row, settings and all).
        SELECT x.chat_id, x.actor_id AS user_id,
               (array_agg(x.type ORDER BY x.position DESC) FILTER (WHERE x.type IN ('chat_muted', 'chat_unmuted')))[1] AS mute,
               max(x.position) FILTER (WHERE x.type IN ('chat_muted', 'chat_unmuted')) AS mute_position,
               (array_agg(x.type ORDER BY x.position DESC) FILTER (WHERE x.type IN ('chat_archived', 'chat_unarchived')))[1] AS archive,
               max(x.position) FILTER (WHERE x.type IN ('chat_archived', 'chat_unarchived')) AS archive_position
        FROM replay_other x WHERE x.type IN ('chat_muted', 'chat_unmuted', 'chat_archived', 'chat_unarchived')
        GROUP BY x.chat_id, x.actor_id
    )
    -- No unread counts: they are derived from the read markers (chat_unread), kept nowhere.
    SELECT p.chat_id, p.user_id, p.role, p.joined_at, p.joined_position, p.last_read_message_id,
           coalesce(z.mute = 'chat_muted' AND z.mute_position > p.joined_position, false) AS muted,
           CASE WHEN z.archive = 'chat_archived' AND z.archive_position > p.joined_position
                THEN z.archive_position END AS archived_position
    FROM members p
    LEFT JOIN settings z ON z.chat_id = p.chat_id AND z.user_id = p.user_id;
    RAISE NOTICE 'audit_replay: chats, memberships and members replayed (% s)',
        round(extract(epoch FROM clock_timestamp() - started), 1);

    CREATE TEMP TABLE replay_problems (projection text, row_key text, problem text, replayed jsonb, live jsonb);

    INSERT INTO replay_problems
    SELECT 'chats', coalesce(r.id, l.id)::text,
           CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.id IS NOT NULL THEN to_jsonb(l) END
    FROM replay_chats r
    FULL JOIN (SELECT c.id, c.student_id, c.teacher_id, c.created_at, c.last_message_id, c.message_count,
                      c.kind, c.title, c.context, c.created_by, c.active_position, c.active_at, c.closed_at,
                      c.announcement, c.audience, c.guardian_id, c.recipients
               FROM chats c
               WHERE everything OR c.id = ANY (scope)) l ON l.id = r.id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    INSERT INTO replay_problems
    SELECT 'chat_participants', coalesce(r.chat_id, l.chat_id) || '/' || coalesce(r.user_id, l.user_id),
           CASE WHEN l.chat_id IS NULL THEN 'missing from projection' WHEN r.chat_id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.chat_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.chat_id IS NOT NULL THEN to_jsonb(l) END
    FROM replay_chat_participants r
    FULL JOIN (SELECT p.chat_id, p.user_id, p.role::text AS role, p.joined_at, p.joined_position,
                      p.last_read_message_id, p.muted, p.archived_position
               FROM chat_participants p
               WHERE everything OR p.chat_id = ANY (scope)) l
           ON l.chat_id = r.chat_id AND l.user_id = r.user_id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    INSERT INTO replay_problems
    SELECT 'chat_memberships',
           coalesce(r.chat_id, l.chat_id) || '/' || coalesce(r.user_id, l.user_id) || '@' || coalesce(r.from_position, l.from_position),
           CASE WHEN l.chat_id IS NULL THEN 'missing from projection' WHEN r.chat_id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.chat_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.chat_id IS NOT NULL THEN to_jsonb(l) END
    FROM (SELECT s.user_id, s.chat_id, s.from_position, s.to_position FROM replay_chat_memberships s) r
    FULL JOIN (SELECT s.user_id, s.chat_id, s.from_position, s.to_position
               FROM chat_memberships s
               WHERE everything OR s.chat_id = ANY (scope)) l
           ON l.chat_id = r.chat_id AND l.user_id = r.user_id AND l.from_position = r.from_position
    WHERE (r.*) IS DISTINCT FROM (l.*);

    INSERT INTO replay_problems
    SELECT 'messages', coalesce(r.id, l.id)::text,
           CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.id IS NOT NULL THEN to_jsonb(l) END
    FROM (SELECT m.id, m.chat_id, m.sender_id, m.content, m.is_deleted, m.created_at, m.deleted_at,
                 m.deleted_by, m.position, m.edited_at, m.reply_to_id, m.hidden_at, m.hidden_by, m.hidden_reason,
                 m.purged_at, m.purge_cause FROM replay_messages m) r
    FULL JOIN (SELECT m.id, m.chat_id, m.sender_id, m.content, m.is_deleted, m.created_at, m.deleted_at,
                      m.deleted_by, m.position, m.edited_at, m.reply_to_id, m.hidden_at, m.hidden_by, m.hidden_reason,
                      m.purged_at, m.purge_cause
               FROM messages m
               WHERE everything OR m.chat_id = ANY (scope)) l ON l.id = r.id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    -- What the log recorded of each message's attachments, against the message's column and
    -- each upload's binding.
    INSERT INTO replay_problems
    SELECT 'messages.attachments', coalesce(r.id, l.id)::text,
           CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
           r.attachments, l.attachments
    FROM (SELECT m.id, m.attachments FROM replay_messages m WHERE m.attachments IS NOT NULL) r
    FULL JOIN (SELECT m.id, m.attachments FROM messages m
               WHERE m.attachments IS NOT NULL
                 AND (everything OR m.chat_id = ANY (scope))) l ON l.id = r.id
    WHERE r.attachments IS DISTINCT FROM l.attachments;

    INSERT INTO replay_problems
    SELECT 'attachments.message_id', coalesce(r.id, l.id)::text,
           CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.id IS NOT NULL THEN jsonb_build_object('message_id', r.message_id) END,
           CASE WHEN l.id IS NOT NULL THEN jsonb_build_object('message_id', l.message_id) END
    FROM (SELECT (x ->> 'id')::bigint AS id, m.id AS message_id
          FROM replay_messages m CROSS JOIN LATERAL jsonb_array_elements(m.attachments) x
          WHERE m.attachments IS NOT NULL) r
    FULL JOIN (SELECT a.id, a.message_id FROM attachments a
               WHERE a.message_id IS NOT NULL
                 AND (everything OR a.chat_id = ANY (scope))) l ON l.id = r.id
    WHERE r.message_id IS DISTINCT FROM l.message_id;

    -- Reports and flags: each message_reported or message_flagged, resolved by the first hide of
    -- its message after it or its own clearing, whichever came first.
    INSERT INTO replay_problems
    SELECT 'reports', coalesce(r.id, l.id)::text,
           CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.id IS NOT NULL THEN to_jsonb(l) END
    FROM (WITH ends AS (
              SELECT (y.payload ->> 'message_id')::bigint AS message_id, NULL::bigint AS report_id, y.position,
                     y.created_at, y.actor_id, 'hidden' AS resolution
              FROM replay_other y WHERE y.type = 'message_hidden'
              UNION ALL
              SELECT NULL, (y.payload ->> 'report_id')::bigint, y.position, y.created_at, y.actor_id, 'cleared'
              FROM replay_other y WHERE y.type = 'report_cleared')
          SELECT x.position AS id, (x.payload ->> 'message_id')::bigint AS message_id, x.chat_id,
                 x.actor_id AS reporter_id, coalesce(x.payload ->> 'reason', x.payload ->> 'flag') AS reason,
                 x.payload ->> 'flag' AS flag, x.created_at,
                 h.created_at AS resolved_at, h.actor_id AS resolved_by, h.resolution
          FROM replay_other x
          LEFT JOIN LATERAL (SELECT * FROM ends z
                             WHERE (z.message_id = (x.payload ->> 'message_id')::bigint OR z.report_id = x.position)
                               AND z.position > x.position
                             ORDER BY z.position LIMIT 1) h ON true
          WHERE x.type IN ('message_reported', 'message_flagged')) r
    FULL JOIN (SELECT p.id, p.message_id, p.chat_id, p.reporter_id, p.reason, p.flag, p.created_at, p.resolved_at,
                      p.resolved_by, p.resolution
               FROM reports p
               WHERE everything OR p.chat_id = ANY (scope)) l ON l.id = r.id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    -- Reactions: each person's newest reaction_added or reaction_removed of an emoji on a
    -- message, kept when it added one, unless the message was purged or the person erased
    -- since (an erasure is no chat's event: read from the log by person).
    INSERT INTO replay_problems
    SELECT 'message_reactions',
           coalesce(r.message_id, l.message_id) || '/' || coalesce(r.user_id, l.user_id) || '/' || coalesce(r.emoji, l.emoji),
           CASE WHEN l.message_id IS NULL THEN 'missing from projection' WHEN r.message_id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.message_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.message_id IS NOT NULL THEN to_jsonb(l) END
    FROM (SELECT s.message_id, s.user_id, s.emoji, s.chat_id, s.position
          FROM (SELECT DISTINCT ON ((x.payload ->> 'message_id')::bigint, x.actor_id, x.payload ->> 'emoji')
                       x.type, (x.payload ->> 'message_id')::bigint AS message_id, x.actor_id AS user_id,
                       x.payload ->> 'emoji' AS emoji, x.chat_id, x.position
                FROM replay_other x WHERE x.type IN ('reaction_added', 'reaction_removed')
                ORDER BY (x.payload ->> 'message_id')::bigint, x.actor_id, x.payload ->> 'emoji', x.position DESC) s
          WHERE s.type = 'reaction_added'
            AND NOT EXISTS (SELECT 1 FROM replay_moderation o WHERE o.message_id = s.message_id AND o.purged_at IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM events z
                            WHERE z.chat_id IS NULL AND (z.payload ->> 'user_id')::bigint = s.user_id
                              AND z.position > s.position AND z.type = 'user_erased')) r
    FULL JOIN (SELECT m.message_id, m.user_id, m.emoji, m.chat_id, m.position
               FROM message_reactions m
               WHERE everything OR m.chat_id = ANY (scope)) l
           ON l.message_id = r.message_id AND l.user_id = r.user_id AND l.emoji = r.emoji
    WHERE (r.*) IS DISTINCT FROM (l.*);

    -- Mentions: whom each message's newest text (its message_created, or its newest
    -- message_edited) mentioned, unless the message was purged or the person erased since (an
    -- erasure is no chat's event: read from the log by person; nobody erased is mentioned after).
    INSERT INTO replay_problems
    SELECT 'message_mentions', coalesce(r.message_id, l.message_id) || '/' || coalesce(r.user_id, l.user_id),
           CASE WHEN l.message_id IS NULL THEN 'missing from projection' WHEN r.message_id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.message_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.message_id IS NOT NULL THEN to_jsonb(l) END
    FROM (SELECT m.id AS message_id, x.user_id, m.chat_id
          FROM replay_messages m CROSS JOIN LATERAL (SELECT i::text::bigint AS user_id
                                                     FROM jsonb_array_elements(m.mentions) i) x
          WHERE m.mentions IS NOT NULL AND m.purged_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM events z
                            WHERE z.chat_id IS NULL AND z.type = 'user_erased'
                              AND (z.payload ->> 'user_id')::bigint = x.user_id)) r
    FULL JOIN (SELECT s.message_id, s.user_id, s.chat_id
               FROM message_mentions s
               WHERE everything OR s.chat_id = ANY (scope)) l
           ON l.message_id = r.message_id AND l.user_id = r.user_id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    -- Blocked visitors: each chat_closed with reason blocked of an inquiry, of the inquiry its
    -- chat_created opened (link and guest); a family chat's blocking closes it, no more.
    INSERT INTO replay_problems
    SELECT 'inquiry_blocks', coalesce(r.chat_id, l.chat_id)::text,
           CASE WHEN l.chat_id IS NULL THEN 'missing from projection' WHEN r.chat_id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.chat_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.chat_id IS NOT NULL THEN to_jsonb(l) END
    FROM (SELECT x.chat_id, (o.payload ->> 'link_id')::bigint AS link_id, (o.payload ->> 'guest_id')::bigint AS guest_id,
                 x.actor_id AS blocked_by, x.created_at AS blocked_at, x.position
          FROM replay_other x
          JOIN replay_other o ON o.chat_id = x.chat_id AND o.type = 'chat_created' AND o.payload ->> 'kind' = 'inquiry'
          WHERE x.type = 'chat_closed' AND x.payload ->> 'reason' = 'blocked') r
    FULL JOIN (SELECT b.chat_id, b.link_id, b.guest_id, b.blocked_by, b.blocked_at, b.position
               FROM inquiry_blocks b
               WHERE everything OR b.chat_id = ANY (scope)) l ON l.chat_id = r.chat_id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    -- Guardians' closure requests: each closure_requested, decided by the first after it of its
    -- chat's closing (which grants every open request) and a closure_declined that names it.
    INSERT INTO replay_problems
    SELECT 'closure_requests', coalesce(r.id, l.id)::text,
           CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.id IS NOT NULL THEN to_jsonb(l) END
    FROM (SELECT x.position AS id, x.chat_id, x.actor_id AS requested_by, x.payload ->> 'reason' AS reason,
                 x.created_at AS requested_at,
                 CASE d.type WHEN 'chat_closed' THEN 'closed' WHEN 'closure_declined' THEN 'declined' END AS outcome,
                 d.actor_id AS decided_by, d.created_at AS decided_at, d.payload ->> 'note' AS note
          FROM replay_other x
          LEFT JOIN LATERAL (SELECT * FROM replay_other y
                             WHERE y.chat_id = x.chat_id AND y.position > x.position
                               AND (y.type = 'chat_closed'
                                    OR (y.type = 'closure_declined' AND (y.payload ->> 'request_id')::bigint = x.position))
                             ORDER BY y.position LIMIT 1) d ON true
          WHERE x.type = 'closure_requested') r
    FULL JOIN (SELECT q.id, q.chat_id, q.requested_by, q.reason, q.requested_at, q.outcome, q.decided_by,
                      q.decided_at, q.note
               FROM closure_requests q
               WHERE everything OR q.chat_id = ANY (scope)) l ON l.id = r.id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    -- Pins: each message's last pin, unless an unpin, a hide, a deletion or a purge of it came
    -- after (each unpins it; the log's rule pins only a message shown).
    INSERT INTO replay_problems
    SELECT 'chat_pins', coalesce(r.message_id, l.message_id)::text,
           CASE WHEN l.message_id IS NULL THEN 'missing from projection' WHEN r.message_id IS NULL THEN 'not in the log' ELSE 'differs' END,
           CASE WHEN r.message_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.message_id IS NOT NULL THEN to_jsonb(l) END
    FROM (SELECT z.message_id, z.chat_id, z.actor_id AS pinned_by, z.created_at AS pinned_at, z.position
          FROM (SELECT DISTINCT ON (1) c.message_id, c.chat_id, c.type, c.actor_id, c.created_at, c.position
                FROM (SELECT (x.payload ->> 'message_id')::bigint AS message_id, x.chat_id, x.type, x.actor_id,
                             x.created_at, x.position
                      FROM replay_other x
                      WHERE x.type IN ('message_pinned', 'message_unpinned', 'message_hidden', 'message_deleted')
                      UNION ALL
                      SELECT i::text::bigint, x.chat_id, x.type, x.actor_id, x.created_at, x.position
                      FROM replay_other x CROSS JOIN LATERAL jsonb_array_elements(x.payload -> 'message_ids') i
                      WHERE x.type = 'messages_purged') c
                ORDER BY 1, c.position DESC) z
          WHERE z.type = 'message_pinned') r
    FULL JOIN (SELECT p.message_id, p.chat_id, p.pinned_by, p.pinned_at, p.position
               FROM chat_pins p
               WHERE everything OR p.chat_id = ANY (scope)) l ON l.message_id = r.message_id
    WHERE (r.*) IS DISTINCT FROM (l.*);

    -- People's suspension and erasure, and guardians' links (their events belong to no chat:
    -- checked on a full replay).
    IF everything THEN
        INSERT INTO replay_problems
        SELECT 'users', coalesce(r.id, l.id)::text,
               CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
               CASE WHEN r.id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.id IS NOT NULL THEN to_jsonb(l) END
        FROM (SELECT * FROM (
                  SELECT p.id, s.suspended_until, s.suspension_reason, q.requested_at AS erasure_requested_at,
                         z.erased_at
                  FROM (SELECT DISTINCT (x.payload ->> 'user_id')::bigint AS id FROM replay_other x
                        WHERE x.chat_id IS NULL) p
                  LEFT JOIN (SELECT DISTINCT ON (1) (x.payload ->> 'user_id')::bigint AS id,
                                    CASE WHEN x.type = 'user_suspended'
                                         THEN coalesce((x.payload ->> 'until')::timestamptz, 'infinity') END AS suspended_until,
                                    CASE WHEN x.type = 'user_suspended' THEN x.payload ->> 'reason' END AS suspension_reason
                             FROM replay_other x WHERE x.type IN ('user_suspended', 'user_unsuspended')
                             ORDER BY 1, x.position DESC) s ON s.id = p.id
                  LEFT JOIN (SELECT (x.payload ->> 'user_id')::bigint AS id, min(x.created_at) AS requested_at
                             FROM replay_other x WHERE x.type = 'user_erasure_requested' GROUP BY 1) q ON q.id = p.id
                  LEFT JOIN (SELECT (x.payload ->> 'user_id')::bigint AS id, min(x.created_at) AS erased_at
                             FROM replay_other x WHERE x.type = 'user_erased' GROUP BY 1) z ON z.id = p.id) a
              WHERE a.suspended_until IS NOT NULL OR a.erasure_requested_at IS NOT NULL OR a.erased_at IS NOT NULL) r
        FULL JOIN (SELECT u.id, u.suspended_until, u.suspension_reason, u.erasure_requested_at, u.erased_at
                   FROM users u
                   WHERE u.suspended_until IS NOT NULL OR u.erasure_requested_at IS NOT NULL
                      OR u.erased_at IS NOT NULL) l ON l.id = r.id
        WHERE (r.*) IS DISTINCT FROM (l.*);

        -- Provisioned people: each attribute as the person's newest event that set it (name
        -- and email: until their erasure replaced them; a person made before the log provisioned
        -- anyone keeps the rest as made), external_id, user_name and deactivated_at only from
        -- the log.
        INSERT INTO replay_problems
        SELECT 'users (provisioned)', coalesce(r.id, l.id)::text,
               CASE WHEN l.id IS NULL THEN 'missing from projection' WHEN r.id IS NULL THEN 'not in the log' ELSE 'differs' END,
               CASE WHEN r.id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.id IS NOT NULL THEN to_jsonb(l) END
        FROM (SELECT p.id, p.external_id, p.user_name,
                     CASE WHEN u.erased_at IS NULL THEN coalesce(p.name, u.name) ELSE u.name END::text AS name,
                     CASE WHEN u.erased_at IS NULL THEN coalesce(p.email, u.email) ELSE u.email END::text AS email,
                     coalesce(p.role, u.role)::text AS role, p.deactivated_at
              FROM (SELECT (x.payload ->> 'user_id')::bigint AS id,
                           (array_agg(x.payload ->> 'external_id' ORDER BY x.position DESC)
                                FILTER (WHERE x.payload ? 'external_id'))[1] AS external_id,
                           (array_agg(x.payload ->> 'user_name' ORDER BY x.position DESC)
                                FILTER (WHERE x.payload ? 'user_name'))[1] AS user_name,
                           (array_agg(x.payload ->> 'name' ORDER BY x.position DESC) FILTER (WHERE x.payload ? 'name'))[1] AS name,
                           (array_agg(x.payload ->> 'email' ORDER BY x.position DESC) FILTER (WHERE x.payload ? 'email'))[1] AS email,
                           (array_agg(x.payload ->> 'role' ORDER BY x.position DESC) FILTER (WHERE x.payload ? 'role'))[1] AS role,
                           (array_agg(CASE WHEN x.type = 'user_deactivated' THEN x.created_at END ORDER BY x.position DESC)
                                FILTER (WHERE x.type IN ('user_deactivated', 'user_reactivated')))[1] AS deactivated_at
                    FROM replay_other x
                    WHERE x.type IN ('user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated')
                    GROUP BY 1) p
              LEFT JOIN users u ON u.id = p.id) r
        FULL JOIN (SELECT u.id, u.external_id, u.user_name, u.name::text AS name, u.email::text AS email, u.role::text AS role,
                          u.deactivated_at
                   FROM users u
                   WHERE u.external_id IS NOT NULL OR u.user_name IS NOT NULL OR u.deactivated_at IS NOT NULL OR u.id IN (
                       SELECT (x.payload ->> 'user_id')::bigint FROM replay_other x
                       WHERE x.type IN ('user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated'))) l
               ON l.id = r.id
        WHERE (r.*) IS DISTINCT FROM (l.*);

        -- The school's settings: each as the newest school_settings_changed that named it.
        INSERT INTO replay_problems
        SELECT 'school_settings', coalesce(r.school_id, l.school_id)::text,
               CASE WHEN l.school_id IS NULL THEN 'missing from projection' WHEN r.school_id IS NULL THEN 'not in the log' ELSE 'differs' END,
               CASE WHEN r.school_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.school_id IS NOT NULL THEN to_jsonb(l) END
        FROM (SELECT x.school_id,
                     (array_agg(x.payload ->> 'name' ORDER BY x.position DESC) FILTER (WHERE x.payload ? 'name'))[1] AS name,
                     (array_agg(x.payload ->> 'time_zone' ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'time_zone'))[1] AS time_zone,
                     (array_agg(x.payload ->> 'quiet_hours' ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'quiet_hours'))[1] AS quiet_hours,
                     (array_agg(x.payload ->> 'family_quiet_hours' ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'family_quiet_hours'))[1] AS family_quiet_hours,
                     (array_agg((x.payload ->> 'message_editing')::boolean ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'message_editing'))[1] AS message_editing,
                     (array_agg((x.payload ->> 'retention_days')::integer ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'retention_days'))[1] AS retention_days,
                     (array_agg(x.payload ->> 'email_notify' ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'email_notify'))[1] AS email_notify,
                     (array_agg(x.payload ->> 'language' ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'language'))[1] AS language,
                     (array_agg(x.payload ->> 'email_sender' ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'email_sender'))[1] AS email_sender,
                     (array_agg(x.payload ->> 'guardian_groups' ORDER BY x.position DESC)
                          FILTER (WHERE x.payload ? 'guardian_groups'))[1] AS guardian_groups,
                     max(x.position) AS position
              FROM events x WHERE x.type = 'school_settings_changed' GROUP BY 1) r
        FULL JOIN (SELECT s.school_id, s.name, s.time_zone, s.quiet_hours, s.family_quiet_hours, s.message_editing,
                          s.retention_days, s.email_notify, s.language, s.email_sender, s.guardian_groups,
                          s.position
                   FROM school_settings s) l
            ON l.school_id = r.school_id
        WHERE (r.*) IS DISTINCT FROM (l.*);

        -- Guardians' links: each guardian_linked, closed by the pair's next guardian_unlinked.
        INSERT INTO replay_problems
        SELECT 'guardian_links',
               coalesce(r.guardian_id, l.guardian_id) || '/' || coalesce(r.student_id, l.student_id) || '@'
                   || coalesce(r.from_position, l.from_position),
               CASE WHEN l.guardian_id IS NULL THEN 'missing from projection' WHEN r.guardian_id IS NULL THEN 'not in the log' ELSE 'differs' END,
               CASE WHEN r.guardian_id IS NOT NULL THEN to_jsonb(r) END, CASE WHEN l.guardian_id IS NOT NULL THEN to_jsonb(l) END
        FROM (SELECT k.guardian_id, k.student_id, k.position AS from_position,
                     (SELECT min(u.position) FROM replay_other u
                      WHERE u.type = 'guardian_unlinked' AND u.position > k.position
                        AND (u.payload ->> 'guardian_id')::bigint = k.guardian_id
                        AND (u.payload ->> 'student_id')::bigint = k.student_id) AS to_position
              FROM (SELECT x.position, (x.payload ->> 'guardian_id')::bigint AS guardian_id,
                           (x.payload ->> 'student_id')::bigint AS student_id
                    FROM replay_other x WHERE x.type = 'guardian_linked') k) r
        FULL JOIN (SELECT g.guardian_id, g.student_id, g.from_position, g.to_position FROM guardian_links g) l
               ON l.guardian_id = r.guardian_id AND l.student_id = r.student_id AND l.from_position = r.from_position
        WHERE (r.*) IS DISTINCT FROM (l.*);
    END IF;

    RAISE NOTICE 'audit_replay: compared with the projections, % differences (% s)',
        (SELECT count(*) FROM replay_problems), round(extract(epoch FROM clock_timestamp() - started), 1);
    RETURN QUERY SELECT * FROM replay_problems p ORDER BY 1, 2;
END
$$;
