-- A school's own email defaults: how a person who chose nothing hears by email (NOTIFY_EMAIL's
-- form: 'instant', 'digest', 'none', or per role, e.g. 'guardian=instant,teacher=digest'), and
-- the language the school writes to whoever chose none (SCHOOL_LANGUAGE: 'ru' or 'en'); NULL
-- keeps the deployment's.

ALTER TABLE school_settings
    ADD COLUMN email_notify text CHECK (
        email_notify ~ '^(instant|digest|none)$'
        OR email_notify ~ '^(student|teacher|guardian)=(instant|digest|none)(,(student|teacher|guardian)=(instant|digest|none))*$'),
    ADD COLUMN language text CHECK (language IN ('ru', 'en'));

COMMENT ON COLUMN school_settings.email_notify IS 'The school''s email default (NOTIFY_EMAIL by default): instant, digest, none, or role=choice,… (a role not named: none), written without spaces; NULL for the deployment''s.';
COMMENT ON COLUMN school_settings.language IS 'The language the school writes its emails in to whoever chose none (SCHOOL_LANGUAGE by default): ru or en; NULL for the deployment''s.';
