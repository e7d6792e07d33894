-- Email to people who never open the app. Each person's choice (users.email_notify: NULL is
-- the school's default for their role, NOTIFY_EMAIL), and the emails to send: one per notice a
-- person with `instant` gets (written by the notices' claim, due once they have been away
-- NOTIFY_EMAIL_AFTER_SECS since the message), and one pending daily digest per person with
-- `digest`. An email holds no text: it is composed when it is sent, from the messages as they
-- are then (a read, deleted or hidden one is never mailed), and settled ones are deleted
-- with the settled notices (NOTIFY_KEEP_SECS).

ALTER TABLE users ADD COLUMN email_notify text CHECK (email_notify IN ('instant', 'digest', 'none'));

COMMENT ON COLUMN users.email_notify IS 'How the person hears by email of what they have not read: instant, digest (one a day) or none; NULL: the school''s default for their role (NOTIFY_EMAIL). Set by the person (PUT /api/me/email-notifications) or by an unsubscribe link (none).';

GRANT UPDATE (email_notify) ON users TO tutorchat_app;

CREATE TABLE emails (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    kind text NOT NULL CHECK (kind IN ('instant', 'digest')),
    -- instant: the notice it tells of (its chat and messages), once.
    notice_id uuid UNIQUE,
    due_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'cancelled', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    settled_at timestamptz,
    last_error text,
    CHECK ((kind = 'instant') = (notice_id IS NOT NULL))
);

COMMENT ON TABLE emails IS 'The emails to send (src/outbox/email.rs): instant, one per notice of a person whose choice is instant, due NOTIFY_EMAIL_AFTER_SECS after its message; digest, one pending per person whose choice is digest, due at NOTIFY_EMAIL_DIGEST_AT. Claimed like the notices (a lease, FOR UPDATE SKIP LOCKED); judged when sent: cancelled when the person has been online since, has read it, left the school or chose none; postponed to the end of their quiet hours.';

-- One digest waits per person: the notices of the day fold into it.
CREATE UNIQUE INDEX emails_one_digest ON emails (user_id) WHERE kind = 'digest' AND state IN ('pending', 'sending');
CREATE INDEX emails_due ON emails (due_at) WHERE state IN ('pending', 'sending');
CREATE INDEX emails_settled ON emails (settled_at) WHERE settled_at IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON emails TO tutorchat_app;
GRANT USAGE ON SEQUENCE emails_id_seq TO tutorchat_app;

-- The announcements that reach families, by owner: a guardian's link and a child's completed
-- lesson look for them (announcement_families_join, _leave), so these stay an index probe
-- however many chats the school has.
CREATE INDEX chats_to_families ON chats (created_by) WHERE recipients IN ('guardians', 'both');
