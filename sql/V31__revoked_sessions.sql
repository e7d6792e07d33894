-- Sessions this server started (the dev login, a sign-in with the school's account) carry a
-- random id, `sid`. Signing out records it here until the session would have ended anyway, and
-- signals every replica (`session_revoke`), which refuses the session from then on and ends its
-- streams. Logged, unlike stream tickets: a failover must not bring a signed-out session back.

CREATE TABLE revoked_sessions (
    sid   text PRIMARY KEY,
    until timestamptz NOT NULL
);

COMMENT ON TABLE revoked_sessions IS 'Sessions signed out before they expired (their sid claim), until they would have expired: every replica refuses them. Written only through session_revoke; read by sessions_revoked.';

CREATE INDEX idx_revoked_sessions_until ON revoked_sessions (until);

-- A stream opened with a ticket belongs to the session that asked for the ticket: signing
-- that session out ends the stream too.
ALTER TABLE stream_tickets ADD COLUMN session text;

COMMENT ON COLUMN stream_tickets.session IS 'The sid of the session that asked for the ticket (NULL: a token without one), whose sign-out ends the stream the ticket opens.';
