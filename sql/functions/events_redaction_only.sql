CREATE OR REPLACE FUNCTION events_redaction_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF (NEW.position, NEW.chat_id, NEW.actor_id, NEW.type, NEW.created_at, NEW.idempotency_key)
           IS NOT DISTINCT FROM (OLD.position, OLD.chat_id, OLD.actor_id, OLD.type, OLD.created_at, OLD.idempotency_key)
       AND (CASE OLD.type
               WHEN 'message_created' THEN
                   NEW.payload = (OLD.payload - 'attachments') || '{"content": ""}'
                   AND EXISTS (SELECT 1 FROM messages m WHERE m.id = (OLD.payload ->> 'message_id')::bigint
                               AND m.purged_at IS NOT NULL)
               WHEN 'message_edited' THEN
                   NEW.payload = OLD.payload || '{"content": ""}'
                   AND EXISTS (SELECT 1 FROM messages m WHERE m.id = (OLD.payload ->> 'message_id')::bigint
                               AND m.purged_at IS NOT NULL)
               WHEN 'message_reported' THEN
                   NEW.payload = OLD.payload || '{"reason": ""}'
                   AND (EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.actor_id AND u.erasure_requested_at IS NOT NULL)
                        OR EXISTS (SELECT 1 FROM messages m WHERE m.id = (OLD.payload ->> 'message_id')::bigint
                                   AND m.purged_at IS NOT NULL))
               WHEN 'closure_requested' THEN
                   NEW.payload = OLD.payload || '{"reason": ""}'
                   AND (EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.actor_id AND u.erasure_requested_at IS NOT NULL)
                        OR EXISTS (SELECT 1 FROM closure_requests r WHERE r.id = OLD.position AND r.reason = ''))
               WHEN 'message_hidden' THEN
                   NEW.payload = OLD.payload || '{"reason": ""}'
                   AND EXISTS (SELECT 1 FROM messages m WHERE m.id = (OLD.payload ->> 'message_id')::bigint
                               AND m.purged_at IS NOT NULL)
               -- An erased person's name, email and userName in their provisioning events.
               ELSE OLD.type IN ('user_provisioned', 'user_changed')
                   AND NEW.payload - 'name' - 'email' - 'user_name' = OLD.payload - 'name' - 'email' - 'user_name'
                   AND NEW.payload -> 'user_name' IS NOT DISTINCT FROM
                       CASE WHEN OLD.payload ? 'user_name' THEN 'null'::jsonb END
                   AND NEW.payload ->> 'name' IS NOT DISTINCT FROM
                       CASE WHEN OLD.payload ? 'name' THEN 'erased user ' || (OLD.payload ->> 'user_id') END
                   AND NEW.payload ->> 'email' IS NOT DISTINCT FROM
                       CASE WHEN OLD.payload ? 'email' THEN 'erased-' || (OLD.payload ->> 'user_id') || '@erased.invalid' END
                   AND EXISTS (SELECT 1 FROM users u WHERE u.id = (OLD.payload ->> 'user_id')::bigint
                               AND u.erasure_requested_at IS NOT NULL)
           END) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'events is an append-only log: an UPDATE may only blank the content of a purged message (position %)',
        OLD.position USING ERRCODE = 'insufficient_privilege';
END
$$;

COMMENT ON FUNCTION events_redaction_only() IS 'The one UPDATE events allows, for every role:
blanking the content of a message the log has already recorded as purged (messages_purged; the
messages row says purged_at): its message_created event''s text ("") and files (removed), its
message_edited events'' text, and the reasons of its reports and hides; and an erased
person''s reports'' and closure requests'' reasons, their name and email in their provisioning
events (user_provisioned, user_changed: replaced as events_erase_person replaces them in users, the
userName forgotten), and the reason of a closure request
retention blanked (closure_requests_purge). Nothing else of any
row changes, and no other row may change. Only the trigger functions (and closure_requests_purge) do it, inside the append
of the event that records it (events_purge, events_erase_person).';

CREATE OR REPLACE TRIGGER events_redaction_only BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_redaction_only();

ALTER TABLE events ENABLE ALWAYS TRIGGER events_redaction_only;
