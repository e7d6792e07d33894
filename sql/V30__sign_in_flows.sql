-- Sign-ins with the school's account that have come back: the SHA-256 of each flow's state,
-- until the flow's cookie would have expired. A flow signs in once: a copy of its cookie,
-- replayed with a second code within its ten minutes, finds its state spent.

CREATE TABLE spent_sign_ins (
    state_hash bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

COMMENT ON TABLE spent_sign_ins IS 'The sign-in flows (GET /api/auth/callback) that have come back, by the SHA-256 of their state, until their cookie expires: each flow signs in once. Written only through sign_in_spend.';
