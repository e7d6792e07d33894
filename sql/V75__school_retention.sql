-- A school's own retention (RETENTION_DAYS by default): the content of its messages older
-- than this many days is purged; NULL keeps the deployment's (which may keep everything).

ALTER TABLE school_settings ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 1 AND 36500);

COMMENT ON COLUMN school_settings.retention_days IS 'The school''s retention (RETENTION_DAYS by default): messages older than this many days lose their content; NULL for the deployment''s.';
