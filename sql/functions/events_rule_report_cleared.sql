CREATE OR REPLACE FUNCTION events_rule_report_cleared(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    report reports;
BEGIN
    IF (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin clears a report' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO report FROM reports r
    WHERE r.id = CASE WHEN jsonb_typeof(e.payload -> 'report_id') = 'number' THEN (e.payload ->> 'report_id')::bigint END
      AND r.chat_id = e.chat_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'report % does not exist in chat %', e.payload -> 'report_id', e.chat_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF report.resolved_at IS NOT NULL THEN
        RETURN NULL;  -- resolved already (cleared, or its message hidden)
    END IF;
    e.payload := jsonb_build_object('report_id', report.id);
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_report_cleared(e events) IS 'report_cleared: an admin, of an open report or flag of the chat (nothing to act on); one resolved already: a no-op. In Rust: access::Admin in api::moderation::clear.';

REVOKE ALL ON FUNCTION events_rule_report_cleared(e events) FROM PUBLIC;
