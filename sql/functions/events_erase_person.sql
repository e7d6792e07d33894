CREATE OR REPLACE FUNCTION events_erase_person(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    person constant bigint := (e.payload ->> 'user_id')::bigint;
BEGIN
    UPDATE users SET name = 'erased user ' || person, email = 'erased-' || person || '@erased.invalid',
                     user_name = NULL, erased_at = e.created_at
    WHERE id = person;
    -- Their devices, as the sessions knew them (browser, address).
    DELETE FROM sessions WHERE user_id = person;
    UPDATE events SET payload = payload || '{"reason": ""}'
    WHERE position IN (SELECT r.id FROM reports r WHERE r.reporter_id = person) AND payload ->> 'reason' <> '';
    UPDATE reports SET reason = '' WHERE reporter_id = person;
    -- What provisioning recorded of them: their name and email, as users now has them, and
    -- their SCIM userName (often their address) forgotten.
    UPDATE events SET payload = payload || jsonb_strip_nulls(jsonb_build_object(
               'name', CASE WHEN payload ? 'name' THEN 'erased user ' || person END,
               'email', CASE WHEN payload ? 'email' THEN 'erased-' || person || '@erased.invalid' END))
               || CASE WHEN payload ? 'user_name' THEN '{"user_name": null}'::jsonb ELSE '{}' END
    WHERE chat_id IS NULL AND type IN ('user_provisioned', 'user_changed') AND (payload ->> 'user_id')::bigint = person
      AND (payload ? 'name' OR payload ? 'email' OR payload -> 'user_name' <> 'null');
    UPDATE events SET payload = payload || '{"reason": ""}'
    WHERE position IN (SELECT r.id FROM closure_requests r WHERE r.requested_by = person) AND payload ->> 'reason' <> '';
    UPDATE closure_requests SET reason = '' WHERE requested_by = person;
    DELETE FROM guest_addresses WHERE guest_id = person;
    DELETE FROM message_reactions WHERE user_id = person;
    DELETE FROM message_mentions WHERE user_id = person;
    WITH gone AS (DELETE FROM attachments a WHERE a.uploader_id = person AND a.message_id IS NULL RETURNING a.sha256)
    INSERT INTO file_deletions (sha256) SELECT DISTINCT g.sha256 FROM gone g ON CONFLICT DO NOTHING;
    UPDATE notices SET state = 'cancelled', preview = '', settled_at = e.created_at
    WHERE user_id = person AND state IN ('pending', 'retry');
    UPDATE notices SET preview = '' WHERE user_id = person AND preview <> '';
    DELETE FROM push_subscriptions WHERE user_id = person;
    -- A marketplace visitor's UUID was their credential and their device's: the key kept of it
    -- becomes one of a random UUID (unique per listing, as the table needs), known to nobody.
    UPDATE marketplace_chats SET buyer_key = sha256(uuid_send(gen_random_uuid()))
    WHERE buyer_id = person AND buyer_key IS NOT NULL;
END
$$;

COMMENT ON FUNCTION events_erase_person(e events) IS 'What user_erased does once every message of the person is purged: their name and email replaced, their reports'' and closure requests'' reasons blanked (in the log too), the name and email
their provisioning events recorded replaced as in users (their SCIM userName forgotten, there and
in users), their reactions deleted (the log keeps only that they reacted, under their erased name), the mentions of them deleted (nobody''s message names them any more), the address hash of a guest deleted, their unattached uploads deleted, their offline notifications cancelled and blanked, their Web Push subscriptions deleted, their sessions (devices) deleted, the key of a marketplace visitor''s UUID replaced by a random one''s.';

REVOKE ALL ON FUNCTION events_erase_person(e events) FROM PUBLIC;
