CREATE OR REPLACE FUNCTION school_window(p_value jsonb, p_what text, p_words text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF jsonb_typeof(p_value) <> 'string' THEN
        RAISE EXCEPTION '% are a string (HH:MM-HH:MM, or %) or null', p_what, p_words USING ERRCODE = 'check_violation';
    END IF;
    IF p_value #>> '{}' !~ '^\s*[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2}\s*$' THEN
        RAISE EXCEPTION '% are a window HH:MM-HH:MM (e.g. 21:00-08:00) or %, not %', p_what, p_words, p_value
            USING ERRCODE = 'check_violation', HINT = 'unfit';
    END IF;
    IF quiet_hours_text(p_value #>> '{}') IS NULL THEN
        RAISE EXCEPTION '% % are no window of a day (times 00:00-23:59, start and end apart)', p_what, p_value
            USING ERRCODE = 'check_violation', HINT = 'unfit';
    END IF;
    RETURN to_jsonb(quiet_hours_text(p_value #>> '{}'));
END
$$;

COMMENT ON FUNCTION school_window(p_value jsonb, p_what text, p_words text) IS 'A school''s window of quiet hours as a setting gives it (school_settings_changed: quiet_hours, family_quiet_hours), other than null and the setting''s own words (p_words, for the messages): a string HH:MM-HH:MM of one day, written back as quiet_hours_text writes it; else an error naming p_what (check_violation, and the hint unfit for a string that is no such window). Used by events_rule_school_settings.';

REVOKE ALL ON FUNCTION school_window(p_value jsonb, p_what text, p_words text) FROM PUBLIC;
