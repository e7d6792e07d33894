-- Settled notices are forgotten after NOTIFY_KEEP_SECS.
--
-- V11's outbox keeps every notice: a delivered, failed or cancelled one stayed forever, with
-- the first 100 characters of a private message in `preview`. The table grew by a row per
-- offline recipient and quiet period, and the previews outlived any purpose: a settled notice
-- is only read again by the quiet-period check (the latest notice *delivered* to a user about a
-- chat, within NOTIFY_QUIET_SECS) and by an operator looking into a delivery. Replicas now
-- delete settled notices once they are older than NOTIFY_KEEP_SECS (30 days by default, never
-- less than the quiet period), through notices_purge(), which can delete nothing else: the app
-- role still cannot delete a notice that is pending, being sent or due for a retry, so the
-- outbox's promise (a notice recorded with its message is sent) does not rest on the app.
--
-- The messages themselves, and the log, are untouched: a notice is a delivery record, not part
-- of the conversation, and audit_replay() never reads it.

-- What the purge looks at: settled notices by when they settled.
CREATE INDEX notices_settled ON notices (settled_at) WHERE settled_at IS NOT NULL;

-- Deletes up to p_limit notices settled before now() - p_keep, oldest first; returns how many.
CREATE FUNCTION notices_purge(p_keep interval, p_limit integer) RETURNS integer
LANGUAGE sql AS $$
    WITH doomed AS (
        SELECT n.id FROM notices n
        WHERE n.settled_at IS NOT NULL AND n.settled_at < now() - p_keep
          AND n.state IN ('delivered', 'failed', 'cancelled')
        ORDER BY n.settled_at LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM notices n USING doomed d WHERE n.id = d.id RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;
ALTER FUNCTION notices_purge(interval, integer) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION notices_purge(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notices_purge(interval, integer) TO tutorchat_app;
