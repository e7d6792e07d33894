-- A school's own quiet hours for families (QUIET_HOURS_FAMILIES by default): a window
-- 'HH:MM-HH:MM' in the school's time zone, 'off' for none, or 'students' for the students'
-- window (the school's quiet_hours, or the deployment's); NULL keeps the deployment's.

ALTER TABLE school_settings ADD COLUMN family_quiet_hours text
    CHECK (family_quiet_hours IN ('off', 'students')
           OR family_quiet_hours ~ '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$'
              AND split_part(family_quiet_hours, '-', 1) <> split_part(family_quiet_hours, '-', 2));

COMMENT ON COLUMN school_settings.family_quiet_hours IS 'The school''s quiet hours for a teacher''s messages to families (QUIET_HOURS_FAMILIES by default): ''HH:MM-HH:MM'' in its time zone, ''off'' for none, ''students'' for the students'' window, NULL for the deployment''s.';
