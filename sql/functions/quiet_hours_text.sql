CREATE OR REPLACE FUNCTION quiet_hours_text(p_window text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT format('%s:%s-%s:%s', lpad(m[1], 2, '0'), m[2], lpad(m[3], 2, '0'), m[4])
    FROM regexp_match(p_window, '^\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*$') m
    WHERE m[1]::int < 24 AND m[2]::int < 60 AND m[3]::int < 24 AND m[4]::int < 60
      AND (m[1]::int, m[2]::int) <> (m[3]::int, m[4]::int)
$$;

COMMENT ON FUNCTION quiet_hours_text(p_window text) IS 'A window of quiet hours as QUIET_HOURS writes it (''21:00-08:00'', an hour of one or two digits, spaces around the parts allowed) written back as ''HH:MM-HH:MM''; NULL for anything else (an hour past 23, a minute past 59, a window that starts where it ends). As src/config/safeguarding.rs (QuietHours::parse) reads the variable.';

REVOKE ALL ON FUNCTION quiet_hours_text(p_window text) FROM PUBLIC;
