-- The sessions this server starts (the dev login, a sign-in with the school's account), one row
-- per signed-in device: what "your devices" lists, and what renews a session while the device
-- is used. The session's access token (its cookie, `SESSION_TTL_SECS`) is renewed with a
-- refresh credential in a cookie of its own, a random secret rotated at every renewal; only its
-- SHA-256 is kept. Presenting a secret that was already rotated away (after a short grace for
-- two tabs renewing at once) means a copy is in someone else's hands: the session ends, on
-- every replica (session_revoke). No renewal goes past ends_at (`SESSION_MAX_AGE_SECS` after
-- the sign-in).

CREATE TABLE sessions (
    sid           text PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    via           text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    ends_at       timestamptz NOT NULL,
    renew_every   interval NOT NULL,
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    device        text NOT NULL CHECK (length(device) <= 120),
    address       inet,
    refresh_hash  bytea NOT NULL,
    previous_hash bytea,
    rotated_at    timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz,
    ended_why     text CHECK (ended_why IN ('signed_out', 'ended_by_owner', 'refresh_reused', 'deactivated')),
    CHECK ((ended_at IS NULL) = (ended_why IS NULL))
);

COMMENT ON TABLE sessions IS 'One row per session this server started (a signed-in device): its owner, how it began (via: oidc or NULL for the dev login), when it started, when it must end whatever happens (ends_at: SESSION_MAX_AGE_SECS after the sign-in), how long each access token lasts (renew_every), when and from where it was last renewed (last_used_at, address, device: the browser and system its User-Agent names, never the header itself), the SHA-256 of its current refresh secret and of the one before (accepted for a few seconds after a rotation, for two tabs renewing at once), and when and why it ended. Ending one also revokes its sid (session_revoke). Rows are deleted once ended or past ends_at for a day, and with the person (erasure).';
COMMENT ON COLUMN sessions.ended_why IS 'signed_out: POST /api/logout; ended_by_owner: "sign out" on the devices list; refresh_reused: a rotated refresh secret came back (a stolen copy); deactivated: the person left the school (user_deactivated).';

CREATE INDEX idx_sessions_user ON sessions (user_id, last_used_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO tutorchat_app;
