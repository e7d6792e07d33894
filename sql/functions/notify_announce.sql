CREATE OR REPLACE FUNCTION notify_announce(p_enabled boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    was boolean;
BEGIN
    SELECT s.enabled INTO was FROM notify_settings s FOR UPDATE;
    UPDATE notify_settings SET enabled = p_enabled;
    -- Off, or turned on now: nothing written while they were off is notified.
    IF NOT (was AND p_enabled) THEN
        UPDATE notices_fanned_out f SET position = greatest(f.position, h.head) FROM log_head() h;
    END IF;
END
$$;

COMMENT ON FUNCTION notify_announce(p_enabled boolean) IS 'Records at a replica''s start whether this deployment notifies (notify_settings.enabled: a webhook, Web Push or email is configured; every replica must agree). When notices are off, or were off until now, it moves notices_fanned_out to the log head: the messages written while nobody fanned out get no notice, as before notices were turned on.';

REVOKE ALL ON FUNCTION notify_announce(p_enabled boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION notify_announce(p_enabled boolean) TO tutorchat_app;
