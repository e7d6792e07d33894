CREATE OR REPLACE FUNCTION quiet_hours_end(p_at timestamp with time zone, p_start time, p_end time, p_zone text)
    RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    AS $$
    -- p_at as the school's clock shows it; the window across midnight when it starts after it ends.
    SELECT CASE
        WHEN p_start < p_end AND l.at::time >= p_start AND l.at::time < p_end THEN (l.at::date + p_end) AT TIME ZONE p_zone
        WHEN p_start > p_end AND l.at::time >= p_start THEN (l.at::date + 1 + p_end) AT TIME ZONE p_zone
        WHEN p_start > p_end AND l.at::time < p_end THEN (l.at::date + p_end) AT TIME ZONE p_zone
    END
    FROM (SELECT p_at AT TIME ZONE p_zone AS at) l
$$;

COMMENT ON FUNCTION quiet_hours_end(p_at timestamp with time zone, p_start time, p_end time, p_zone text) IS 'When the quiet hours that p_at falls in end (NULL: p_at is outside them): the window p_start to p_end (across midnight when p_start > p_end) on the clock of time zone p_zone (QUIET_HOURS, SCHOOL_TIMEZONE). A teacher''s message to a chat with a student, sent inside the window, is held until then (src/safeguarding/quiet.rs).';
