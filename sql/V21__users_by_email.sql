-- Signing in with the school's OpenID Provider: its token names a person by email (the claim
-- OIDC_USER_CLAIM), matched against users.email without regard to case. This index makes that
-- lookup one index probe; the replicas also cache it for USER_CACHE_SECS.

CREATE INDEX users_email_lower ON users (lower(email));

COMMENT ON INDEX users_email_lower IS 'Finds the user a token from the school''s OpenID Provider names
(OIDC_USER_CLAIM, compared to email without regard to case).';
