-- Presence: who has an event stream open, on any replica. Ephemeral state, next to the log,
-- never in it. See src/realtime/presence.rs for the whole design; in short:
--
--   presence_replicas  one row per running replica (a random id per process) with a lease:
--                      the replica renews expires_at every PRESENCE_LEASE_SECS / 4. A replica
--                      that dies (kill -9) stops renewing; once its lease has expired, any
--                      other replica's renewal sweeps it and its streams.
--   presence_streams   one row per (user, replica) while the user has at least one stream
--                      open there (written once per transition, not per stream or tab).
--   user_presence      when each user was last seen: written when they go offline everywhere.
--
-- A user is online while a presence_streams row of theirs belongs to a replica whose lease has
-- not expired. The first two tables are UNLOGGED: they write no WAL (so no disk flush on the
-- path) and PostgreSQL empties them after a crash, which is right: no stream survives one.
-- user_presence is an ordinary table, so last_seen survives restarts of everything.
--
-- Every change goes through the functions below, which serialize all presence changes (one
-- advisory lock, (1953854575, 2), next to the log's (…, 1)) so that two replicas opening and
-- closing a user's streams at the same moment always agree on whether the user came online or
-- went offline, and announce each transition once with NOTIFY on 'tutorchat_signals'. One lock
-- rather than one per user: a sweep of a dead replica with thousands of users would otherwise
-- hold thousands of locks (the shared lock table has room for a few thousand in all), and
-- changes are rare (a user's first stream on a replica, their last one) and short.

CREATE UNLOGGED TABLE presence_replicas (
    replica_id   uuid PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

CREATE UNLOGGED TABLE presence_streams (
    user_id    bigint NOT NULL,
    replica_id uuid NOT NULL REFERENCES presence_replicas (replica_id) ON DELETE CASCADE,
    since      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, replica_id)
);

CREATE INDEX idx_presence_streams_replica ON presence_streams (replica_id);

CREATE TABLE user_presence (
    user_id   bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seen timestamptz NOT NULL
);

-- Whether p_user has a stream on a replica whose lease holds.
CREATE FUNCTION presence_online(p_user bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM presence_streams s
                   JOIN presence_replicas r ON r.replica_id = s.replica_id
                   WHERE s.user_id = p_user AND r.expires_at > now())
$$;

CREATE FUNCTION presence_announce(p_user bigint, p_online boolean, p_last_seen timestamptz) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_notify('tutorchat_signals', json_build_object(
        'presence', json_build_object('user_id', p_user, 'online', p_online, 'last_seen', p_last_seen))::text)
$$;

CREATE FUNCTION presence_lock() RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1953854575, 2)
$$;

-- p_replica's lease runs until now() + p_lease. Returns false if the replica had no row (it
-- is new, or it was swept while it could not renew: its streams must be registered again).
CREATE FUNCTION presence_renew(p_replica uuid, p_lease interval) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    existed boolean;
BEGIN
    UPDATE presence_replicas SET heartbeat_at = now(), expires_at = now() + p_lease
    WHERE replica_id = p_replica;
    existed := FOUND;
    IF NOT existed THEN
        INSERT INTO presence_replicas (replica_id, heartbeat_at, expires_at)
        VALUES (p_replica, now(), now() + p_lease)
        ON CONFLICT (replica_id) DO UPDATE SET heartbeat_at = now(), expires_at = now() + p_lease;
    END IF;
    RETURN existed;
END
$$;

-- Removes replicas whose lease expired, and their streams; users left with no live stream go
-- offline, last seen at their replica's last renewal. Returns how many users went offline.
CREATE FUNCTION presence_sweep() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    dead record;
    gone record;
    offline integer := 0;
BEGIN
    PERFORM presence_lock();
    FOR dead IN
        SELECT replica_id, heartbeat_at FROM presence_replicas WHERE expires_at <= now()
        FOR UPDATE SKIP LOCKED
    LOOP
        FOR gone IN DELETE FROM presence_streams WHERE replica_id = dead.replica_id RETURNING user_id LOOP
            IF NOT presence_online(gone.user_id) THEN
                INSERT INTO user_presence (user_id, last_seen) VALUES (gone.user_id, dead.heartbeat_at)
                ON CONFLICT (user_id) DO UPDATE SET last_seen = greatest(user_presence.last_seen, EXCLUDED.last_seen);
                PERFORM presence_announce(gone.user_id, false, dead.heartbeat_at);
                offline := offline + 1;
            END IF;
        END LOOP;
        DELETE FROM presence_replicas WHERE replica_id = dead.replica_id;
    END LOOP;
    RETURN offline;
END
$$;

-- p_user opened a stream on p_replica (their first there). Returns whether they came online.
CREATE FUNCTION presence_open(p_replica uuid, p_user bigint, p_lease interval) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    was_online boolean;
BEGIN
    PERFORM presence_lock();
    IF NOT EXISTS (SELECT 1 FROM presence_replicas WHERE replica_id = p_replica AND expires_at > now()) THEN
        PERFORM presence_renew(p_replica, p_lease);
    END IF;
    was_online := presence_online(p_user);
    INSERT INTO presence_streams (user_id, replica_id) VALUES (p_user, p_replica) ON CONFLICT DO NOTHING;
    IF NOT was_online THEN
        PERFORM presence_announce(p_user, true, NULL);
    END IF;
    RETURN NOT was_online;
END
$$;

-- p_user's last stream on p_replica closed at p_at (and the grace period has passed). Returns
-- whether they went offline (no live stream left anywhere).
CREATE FUNCTION presence_close(p_replica uuid, p_user bigint, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM presence_lock();
    DELETE FROM presence_streams WHERE user_id = p_user AND replica_id = p_replica;
    IF NOT FOUND OR presence_online(p_user) THEN
        RETURN false;
    END IF;
    INSERT INTO user_presence (user_id, last_seen) VALUES (p_user, p_at)
    ON CONFLICT (user_id) DO UPDATE SET last_seen = greatest(user_presence.last_seen, EXCLUDED.last_seen);
    PERFORM presence_announce(p_user, false, p_at);
    RETURN true;
END
$$;

-- A replica shutting down: its lease ends after p_grace, so that users who reconnect to
-- another replica meanwhile never appear offline; the others are swept then.
CREATE FUNCTION presence_leave(p_replica uuid, p_grace interval) RETURNS void
LANGUAGE sql AS $$
    UPDATE presence_replicas SET heartbeat_at = now(), expires_at = now() + p_grace WHERE replica_id = p_replica
$$;

-- The runtime role reads presence and changes it only through these functions.
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['presence_renew(uuid, interval)', 'presence_sweep()',
                             'presence_open(uuid, bigint, interval)', 'presence_close(uuid, bigint, timestamptz)',
                             'presence_leave(uuid, interval)']
    LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = public, pg_temp', f);
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tutorchat_app', f);
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION presence_announce(bigint, boolean, timestamptz), presence_lock() FROM PUBLIC;
GRANT SELECT ON presence_replicas, presence_streams, user_presence TO tutorchat_app;
