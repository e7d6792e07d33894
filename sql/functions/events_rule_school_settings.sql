CREATE OR REPLACE FUNCTION events_rule_school_settings(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    now_set school_settings;
    changed jsonb := '{}';
    key text;
    value jsonb;
BEGIN
    IF e.actor_id IS NULL OR (SELECT u.role FROM users u WHERE u.id = e.actor_id) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'only an admin changes the school''s settings' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF jsonb_typeof(e.payload) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'school settings are an object of the settings to change' USING ERRCODE = 'check_violation';
    END IF;
    SELECT * INTO now_set FROM school_settings;
    FOR key, value IN SELECT * FROM jsonb_each(e.payload) LOOP
        CASE key
        WHEN 'name' THEN
            -- Its length the API's document states (400); its spaces it cannot (422: 'unfit').
            IF value <> 'null' AND (jsonb_typeof(value) <> 'string' OR char_length(value #>> '{}') NOT BETWEEN 1 AND 100) THEN
                RAISE EXCEPTION 'a school''s name is 1 to 100 characters, without spaces around it'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF value <> 'null' AND value #>> '{}' ~ '^\s|\s$' THEN
                RAISE EXCEPTION 'a school''s name is 1 to 100 characters, without spaces around it'
                    USING ERRCODE = 'check_violation', HINT = 'unfit';
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.name THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'time_zone' THEN
            IF value <> 'null' AND jsonb_typeof(value) <> 'string' THEN
                RAISE EXCEPTION 'a time zone is a string (an IANA name, e.g. Europe/Moscow) or null' USING ERRCODE = 'check_violation';
            END IF;
            IF value <> 'null' AND NOT EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = value #>> '{}') THEN
                RAISE EXCEPTION 'time zone % is not one PostgreSQL knows (an IANA name, e.g. Europe/Moscow)', value
                    USING ERRCODE = 'check_violation', HINT = 'unfit';
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.time_zone THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'quiet_hours' THEN
            -- 'HH:MM-HH:MM' (an hour of one or two digits), written back as 'HH:MM-HH:MM'; or 'off'.
            IF value <> 'null' AND value <> '"off"' THEN
                value := school_window(value, 'quiet hours', 'off');
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.quiet_hours THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'family_quiet_hours' THEN
            -- As quiet_hours, or 'students' for the students' window.
            IF value <> 'null' AND value <> '"off"' AND value <> '"students"' THEN
                value := school_window(value, 'families'' quiet hours', 'off or students');
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.family_quiet_hours THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'message_editing' THEN
            IF value <> 'null' AND jsonb_typeof(value) <> 'boolean' THEN
                RAISE EXCEPTION 'message_editing is true, false or null' USING ERRCODE = 'check_violation';
            END IF;
            IF (value #>> '{}')::boolean IS DISTINCT FROM now_set.message_editing THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'retention_days' THEN
            IF value <> 'null' AND jsonb_typeof(value) <> 'number' THEN
                RAISE EXCEPTION 'retention_days is a whole number of days from 1 to 36500, or null' USING ERRCODE = 'check_violation';
            END IF;
            IF value <> 'null' AND (value::numeric <> trunc(value::numeric) OR value::numeric NOT BETWEEN 1 AND 36500) THEN
                RAISE EXCEPTION 'retention_days is a whole number of days from 1 to 36500, or null' USING ERRCODE = 'check_violation';
            END IF;
            IF (value #>> '{}')::integer IS DISTINCT FROM now_set.retention_days THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'email_notify' THEN
            -- NOTIFY_EMAIL's form, kept without spaces.
            IF value <> 'null' AND jsonb_typeof(value) <> 'string' THEN
                RAISE EXCEPTION 'email_notify is a string (instant, digest, none, or role=choice,…) or null'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF value <> 'null' THEN
                value := to_jsonb(regexp_replace(value #>> '{}', '\s', '', 'g'));
                IF value #>> '{}' !~ '^(instant|digest|none)$' AND value #>> '{}'
                        !~ '^(student|teacher|guardian)=(instant|digest|none)(,(student|teacher|guardian)=(instant|digest|none))*$' THEN
                    RAISE EXCEPTION 'email_notify is instant, digest, none, or role=choice,… (roles student, teacher, guardian), not %',
                        e.payload -> key USING ERRCODE = 'check_violation', HINT = 'unfit';
                END IF;
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.email_notify THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'language' THEN
            IF value <> 'null' AND value <> '"ru"' AND value <> '"en"' THEN
                RAISE EXCEPTION 'language is ru, en or null' USING ERRCODE = 'check_violation';
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.language THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'email_sender' THEN
            -- A name only (the address stays SMTP_FROM's): its length the API's document states.
            IF value <> 'null' AND (jsonb_typeof(value) <> 'string' OR char_length(value #>> '{}') NOT BETWEEN 1 AND 100) THEN
                RAISE EXCEPTION 'email_sender is a name of 1 to 100 characters, without spaces around it, or null'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF value <> 'null' AND value #>> '{}' ~ '^\s|\s$|[[:cntrl:]]' THEN
                RAISE EXCEPTION 'email_sender is a name of 1 to 100 characters, without spaces around it or a control character'
                    USING ERRCODE = 'check_violation', HINT = 'unfit';
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.email_sender THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        WHEN 'guardian_groups' THEN
            IF value <> 'null' AND value <> '"none"' AND value <> '"own_messages"' THEN
                RAISE EXCEPTION 'guardian_groups is none, own_messages or null' USING ERRCODE = 'check_violation';
            END IF;
            IF (value #>> '{}') IS DISTINCT FROM now_set.guardian_groups THEN
                changed := changed || jsonb_build_object(key, value);
            END IF;
        ELSE
            RAISE EXCEPTION 'a school has no setting %', key USING ERRCODE = 'check_violation';
        END CASE;
    END LOOP;
    IF changed = '{}' THEN
        RETURN NULL;  -- every setting as it was: nothing happened
    END IF;
    e.payload := changed;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_school_settings(e events) IS 'school_settings_changed: an admin, naming no chat, with the settings to change (name: 1-100 characters, no space around it; time_zone: a name in pg_timezone_names; quiet_hours: a window HH:MM-HH:MM, written back with two-digit hours, or off; family_quiet_hours: as quiet_hours, or students for the students'' window; message_editing: a boolean; retention_days: 1-36500; email_notify: NOTIFY_EMAIL''s form, kept without spaces; language: ru or en; email_sender: a name of 1-100 characters, no space around it or control character; guardian_groups: none or own_messages; null: back to the deployment''s default); any other key is refused; only what differs from the school''s settings now is kept (nothing: a no-op). In Rust: access::Admin in api::school.';

REVOKE ALL ON FUNCTION events_rule_school_settings(e events) FROM PUBLIC;
