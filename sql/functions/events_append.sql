DROP FUNCTION IF EXISTS events_append(bigint[], bigint[], text[], jsonb[], text[], boolean);

CREATE OR REPLACE FUNCTION events_append(p_chat_ids bigint[], p_actor_ids bigint[], p_types text[],
                                         p_payloads jsonb[], p_keys text[], p_notify boolean DEFAULT true,
                                         p_defer boolean DEFAULT false, p_wait bigint[] DEFAULT '{}')
    RETURNS SETOF events
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    n integer;
    created integer;
    busy bigint[] := '{}';
    ords integer[];
    x xid8;
    first_position bigint;
    first_message bigint;
    drawn_at timestamptz;
    -- An append inside another's INSERT (a rule's consequence, events_apply): the outer
    -- statement's block, given back once this one's rows are in.
    outer_block text := coalesce(current_setting('tutorchat.block', true), '');
    -- The rows' school, once (as a column default it is evaluated for every row).
    school bigint := current_school();
BEGIN
    IF coalesce(cardinality(p_types), 0) = 0 THEN
        RETURN;
    END IF;

    -- Transactions that draw more than once take turns, from before their first draw to their
    -- commit (1953854575, 8): a later draw waits for the appends drawn before it (step 2), so
    -- two of them in flight at once would wait for each other. They are those that wrote before
    -- they append (the lesson triggers, whose appends follow one another) and those whose
    -- events append more inside their own (a link's family chats and announcements, a
    -- departure's). A draw after this transaction's first does not ask again.
    IF coalesce(current_setting('tutorchat.drew', true), '') = '' AND (
           pg_current_xact_id_if_assigned() IS NOT NULL
           OR 'guardian_linked' = ANY (p_types) OR 'guardian_unlinked' = ANY (p_types)
           OR 'user_deactivated' = ANY (p_types)) THEN
        PERFORM pg_advisory_xact_lock(1953854575, 8);
    END IF;

    -- 0. Deferring (the writer's batches): a chat another append holds now is left for the
    -- caller's next batch, all its events (so each chat's keep their order), unless the caller
    -- waited for it once already (p_wait) or every chat of the batch is busy. Each deferred
    -- chat is answered as a row of its own, its position NULL, after the rows appended.
    IF p_defer THEN
        PERFORM pg_advisory_xact_lock(1953854576, (w.c % 2147483647)::integer)
        FROM (SELECT DISTINCT c FROM unnest(p_wait) c WHERE c = ANY (p_chat_ids) ORDER BY 1) w;
        busy := ARRAY(SELECT k.c FROM (SELECT DISTINCT c FROM unnest(p_chat_ids) c
                                       WHERE c IS NOT NULL AND c <> ALL (p_wait)) k
                      WHERE NOT pg_try_advisory_xact_lock(1953854576, (k.c % 2147483647)::integer));
        IF cardinality(busy) > 0 AND NOT EXISTS (
            SELECT 1 FROM unnest(p_chat_ids) c WHERE c IS NULL OR c <> ALL (busy)) THEN
            busy := '{}';  -- nothing else to do: wait for them
        END IF;
    END IF;
    ords := ARRAY(SELECT o::integer FROM unnest(p_chat_ids) WITH ORDINALITY u (c, o)
                  WHERE c IS NULL OR c <> ALL (busy) ORDER BY o);
    n := cardinality(ords);
    created := (SELECT count(*) FROM unnest(ords) o WHERE p_types[o] = 'message_created');

    IF n = 0 THEN
        RETURN;
    END IF;

    -- 1. What the events are about, locked to commit in one global order (chats, then people):
    -- appends to one chat, or about one person, take turns; nothing else waits for anything.
    -- The chats of the events, and a teacher's direct and family chats when the teacher leaves or comes
    -- back (which makes them read-only, or writable again): chats is read only for those (a
    -- condition on the arguments, evaluated once), never scanned for an ordinary message.
    PERFORM pg_advisory_xact_lock(1953854576, (c.id % 2147483647)::integer)
    FROM (SELECT DISTINCT k.id FROM (
              SELECT p_chat_ids[o] AS id FROM unnest(ords) o
              UNION ALL
              SELECT d.id FROM chats d
              WHERE ('user_deactivated' = ANY (p_types) OR 'user_reactivated' = ANY (p_types))
                AND d.kind IN ('direct', 'family') AND d.teacher_id IN (
                  SELECT (p_payloads[o] ->> 'user_id')::bigint FROM unnest(ords) o
                  WHERE p_types[o] IN ('user_deactivated', 'user_reactivated')
                    AND jsonb_typeof(p_payloads[o] -> 'user_id') = 'number')) k
          WHERE k.id IS NOT NULL
          ORDER BY 1) c;
    -- The people: exclusively whom a person event is about (suspended, erased, linked,
    -- deactivated), shared every actor and everyone a chat event names (added, handed over to).
    PERFORM CASE WHEN s.exclusive THEN pg_advisory_xact_lock(1953854577, (s.id % 2147483647)::integer)
                 ELSE pg_advisory_xact_lock_shared(1953854577, (s.id % 2147483647)::integer) END
    FROM (SELECT p.id, bool_or(p.exclusive) AS exclusive FROM (
              SELECT p_actor_ids[o] AS id, false AS exclusive FROM unnest(ords) o
              UNION ALL
              SELECT (p_payloads[o] ->> f)::bigint, p_chat_ids[o] IS NULL
              FROM unnest(ords) o
              CROSS JOIN unnest(ARRAY['user_id', 'guardian_id', 'student_id', 'teacher_id']) f
              WHERE jsonb_typeof(p_payloads[o] -> f) = 'number') p
          WHERE p.id IS NOT NULL
          GROUP BY p.id ORDER BY p.id) s;

    -- 2. The draw, in a turn of microseconds (the draw mutex, a session lock released below
    -- whatever happens): this transaction's id, then its block of positions, of message ids
    -- and its time. Drawn in one turn, positions follow transaction ids, which is what lets a
    -- reader cut the log below the oldest transaction still running (log_head, read_after).
    BEGIN
        PERFORM pg_advisory_lock(1953854575, 5);
        IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
            -- This transaction had its id before (it wrote something first): every append
            -- drawn before it must end before it draws, or a reader could pass its rows. Wait
            -- for them (the log lock, exclusively, in a block whose end releases it).
            BEGIN
                PERFORM pg_advisory_xact_lock(1953854575, 1);
                RAISE SQLSTATE 'P0100';
            EXCEPTION WHEN SQLSTATE 'P0100' THEN NULL;
            END;
        END IF;
        -- In flight until commit: an INSERT that draws its own numbers (psql, the lesson
        -- trigger) waits for this, and every append waits for it (events_before_insert).
        PERFORM pg_advisory_xact_lock_shared(1953854575, 1);
        x := pg_current_xact_id();
        first_position := nextval('events_position_seq');
        IF n > 1 THEN
            PERFORM setval('events_position_seq', first_position + n - 1);
        END IF;
        IF created > 0 THEN
            first_message := nextval('messages_id_seq');
            IF created > 1 THEN
                PERFORM setval('messages_id_seq', first_message + created - 1);
            END IF;
        END IF;
        drawn_at := clock_timestamp();
        PERFORM set_config('tutorchat.drew', 'yes', true);
        PERFORM pg_advisory_unlock(1953854575, 5);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock(1953854575, 5);
        RAISE;
    END;

    -- 3. The rows, numbered from the block (events_before_insert checks them against it and
    -- applies each type's rules); a no-op leaves a hole.
    PERFORM set_config('tutorchat.block', x::text || '/' || first_position || '/' || (first_position + n - 1), true);
    RETURN QUERY
    INSERT INTO events (position, chat_id, actor_id, type, payload, created_at, idempotency_key, xid, school_id)
    SELECT first_position + e.k - 1, p_chat_ids[e.o], p_actor_ids[e.o], p_types[e.o],
           CASE WHEN p_types[e.o] = 'message_created'
                THEN p_payloads[e.o] || jsonb_build_object('message_id', first_message + (count(*) FILTER (
                         WHERE p_types[e.o] = 'message_created') OVER (ORDER BY e.k)) - 1)
                ELSE p_payloads[e.o] END,
           drawn_at, p_keys[e.o], x, school
    FROM unnest(ords) WITH ORDINALITY AS e (o, k)
    ORDER BY e.k
    RETURNING *;
    PERFORM set_config('tutorchat.block', outer_block, true);
    RETURN QUERY SELECT NULL::bigint, c, NULL::bigint, 'deferred'::text, '{}'::jsonb, NULL::timestamptz, NULL::text, NULL::xid8,
                        NULL::bigint
                 FROM unnest(busy) c;
    IF p_notify THEN
        PERFORM pg_notify('tutorchat_events', (first_position + n - 1)::text);
    END IF;
END
$$;

COMMENT ON FUNCTION events_append(bigint[], bigint[], text[], jsonb[], text[], boolean, boolean, bigint[]) IS 'The one way
the application appends: events i of the arrays (chat_ids[i], actor_ids[i], types[i],
payloads[i], keys[i] its idempotency key or NULL), in order, answering the rows appended (a
no-op: none). The log''s order without a window every writer waits for:
1. locks to commit, in one global order, on what the events are about: each chat (and a
   teacher''s direct and family chats when the teacher is deactivated or reactivated), then each person
   (exclusively the subject of a person event, shared each actor and each person a chat event
   names). Appends to one chat take turns, as do a person''s own appends and what is done to
   them; so per chat positions, message ids and commits agree, and a rule checked against a
   person or a chat (suspended, deactivated, closed) agrees with the log''s order.
2. the draw, under a mutex held for microseconds: the transaction id, a block of positions, of
   message ids and one created_at. A transaction that had its id before (it wrote first)
   waits, before it draws, for every append drawn before it to end. Its rows carry the
   transaction id (events.xid), and positions follow transaction ids.
3. the INSERT, whose rows events_before_insert checks against the block (tutorchat.block) and
   numbers no further.
A transaction that draws more than once (one that wrote before it appends, as the lesson
triggers'', or whose events append more inside their own: guardian_linked, guardian_unlinked,
user_deactivated) takes the advisory lock (1953854575, 8) before its first draw, to commit: such
transactions take turns, since each later draw waits for the appends drawn before it.
With p_defer (the writer), a chat another append holds is not waited for: its events are
left out and the chat answered as a row of its own with a NULL position, for the caller''s next
batch; p_wait lists the chats the caller deferred once and now waits for (and when every chat
is busy it waits anyway).
No NOTIFY unless p_notify: a NOTIFY takes a lock PostgreSQL holds from before commit until
after the WAL flush, so the writer sends it after commit, as a statement of its own.

Readers read the rows after their cursor in position order and stop at the first one whose
transaction is not below the oldest transaction running (pg_snapshot_xmin of the snapshot,
read_after and log_head): every row below it has ended, so nothing that commits later can land
behind a cursor. Everything appends through this function: the application, the lesson
triggers, and the consequences a rule appends inside another append (family_chats_open,
announcement_families_join and _leave; the outer statement''s block is given back after). Only
an INSERT into events by hand (psql) draws row by row under the log lock, exclusively, to
commit: nobody draws meanwhile.';

REVOKE ALL ON FUNCTION events_append(bigint[], bigint[], text[], jsonb[], text[], boolean, boolean, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION events_append(bigint[], bigint[], text[], jsonb[], text[], boolean, boolean, bigint[]) TO tutorchat_app;
