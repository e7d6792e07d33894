-- Web Push to closed tabs, from the offline-notification outbox (docs/push.md).
--
-- * push_subscriptions: the browsers people subscribed (a PushSubscription's endpoint and
--   keys), several per person. A push service answering 404 or 410 for one removes it.
-- * push_messages: one row per notice and subscription, written in the statement that claims
--   the notice for its first delivery (src/notify.rs), so that a notice fans out to the
--   person's browsers exactly once, whatever crashes. Each is then sent by one replica at a
--   time (FOR UPDATE SKIP LOCKED and a lease, as notices are), retried with back-off on 429
--   and 5xx. Its payload is built when it is sent, from the notice as it is then: a purge
--   or an erasure that blanked the notice's preview blanks the push too.

CREATE TABLE push_subscriptions (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    endpoint     text NOT NULL UNIQUE,
    -- The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url.
    p256dh       text NOT NULL,
    auth         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_push_at timestamptz
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
COMMENT ON TABLE push_subscriptions IS 'Browsers subscribed to Web Push: a push service''s endpoint and the keys a payload is encrypted to (RFC 8291).';

CREATE TABLE push_messages (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    notice_id       uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    subscription_id bigint NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'retry', 'delivered', 'failed', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    claimed_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz,
    last_error      text,
    UNIQUE (notice_id, subscription_id)
);
CREATE INDEX push_messages_open ON push_messages (created_at) WHERE state IN ('pending', 'sending', 'retry');
COMMENT ON TABLE push_messages IS 'One Web Push per notice and subscription: written when the notice is first claimed, sent by one replica at a time, retried on 429 and 5xx.';

GRANT SELECT, INSERT, DELETE ON push_subscriptions TO tutorchat_app;
GRANT UPDATE (user_id, p256dh, auth, last_push_at) ON push_subscriptions TO tutorchat_app;
GRANT USAGE ON SEQUENCE push_subscriptions_id_seq TO tutorchat_app;
GRANT SELECT, INSERT ON push_messages TO tutorchat_app;
GRANT UPDATE (state, attempts, next_attempt_at, claimed_until, settled_at, last_error) ON push_messages TO tutorchat_app;

-- Erasure also forgets the person's browsers. Restated whole; only the last statement is new.
CREATE OR REPLACE FUNCTION events_erase_person(e events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    person constant bigint := (e.payload ->> 'user_id')::bigint;
BEGIN
    UPDATE users SET name = 'erased user ' || person, email = 'erased-' || person || '@erased.invalid',
                     erased_at = e.created_at
    WHERE id = person;
    UPDATE events SET payload = payload || '{"reason": ""}'
    WHERE position IN (SELECT r.id FROM reports r WHERE r.reporter_id = person) AND payload ->> 'reason' <> '';
    UPDATE reports SET reason = '' WHERE reporter_id = person;
    WITH gone AS (DELETE FROM attachments a WHERE a.uploader_id = person AND a.message_id IS NULL RETURNING a.sha256)
    INSERT INTO file_deletions (sha256) SELECT DISTINCT g.sha256 FROM gone g ON CONFLICT DO NOTHING;
    UPDATE notices SET state = 'cancelled', preview = '', settled_at = e.created_at
    WHERE user_id = person AND state IN ('pending', 'retry');
    UPDATE notices SET preview = '' WHERE user_id = person AND preview <> '';
    DELETE FROM push_subscriptions WHERE user_id = person;
END
$$;
REVOKE ALL ON FUNCTION events_erase_person(events) FROM PUBLIC;
COMMENT ON FUNCTION events_erase_person(events) IS 'What user_erased does once every message of the person is purged: their name and email replaced, their reports'' reasons blanked (in the log too), their unattached uploads deleted, their offline notifications cancelled and blanked, their Web Push subscriptions deleted.';
