-- A school's own quiet hours (QUIET_HOURS by default): a window 'HH:MM-HH:MM' in the school's
-- time zone, or 'off' for none; NULL keeps the deployment's. The families' window
-- (QUIET_HOURS_FAMILIES) stays the deployment's, and, unset, follows the school's.

ALTER TABLE school_settings ADD COLUMN quiet_hours text
    CHECK (quiet_hours = 'off' OR quiet_hours ~ '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$'
           AND split_part(quiet_hours, '-', 1) <> split_part(quiet_hours, '-', 2));

COMMENT ON COLUMN school_settings.quiet_hours IS 'The school''s quiet hours (QUIET_HOURS by default): ''HH:MM-HH:MM'' in its time zone, ''off'' for none, NULL for the deployment''s.';
