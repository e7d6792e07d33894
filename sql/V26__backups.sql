-- Backups and restore drills, as the database itself remembers them (docs/backups.md).
--
-- pgBackRest keeps the backups and the WAL archive in its repository; these tables are what
-- the product knows of them, so that every replica's /metrics can show how old the newest good
-- backup and the last passed restore drill are, and an auditor with psql can see both
-- histories:
--
-- * backups: one row per backup in the repository, written by `tutorchat backup` after
--   pgBackRest finished it (with any earlier backup of the repository not recorded yet).
-- * restore_drills: one row per `tutorchat restore-drill`: which backup it restored, to what
--   point, what it recovered (the log's last position and its time) and whether
--   audit_replay() found the recovered projections true to the recovered log.

CREATE TABLE backups (
    label       text PRIMARY KEY,
    stanza      text NOT NULL,
    type        text NOT NULL CHECK (type IN ('full', 'diff', 'incr')),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    -- The first and last WAL segments the backup needs to be consistent.
    wal_start   text NOT NULL,
    wal_stop    text NOT NULL,
    -- The database's size, and what the backup stored in the repository.
    size_bytes  bigint NOT NULL,
    stored_bytes bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backups_finished ON backups (finished_at);
COMMENT ON TABLE backups IS 'Backups pgBackRest finished, as `tutorchat backup` recorded them (docs/backups.md).';

CREATE TABLE restore_drills (
    id                  bigserial PRIMARY KEY,
    stanza              text NOT NULL,
    ran_at              timestamptz NOT NULL DEFAULT now(),
    -- The point asked for (NULL: the end of the archive) and the backup restored under it.
    target_time         timestamptz,
    backup_label        text NOT NULL,
    -- What the restored server held once recovered: the log's last position and its time.
    recovered_position  bigint NOT NULL,
    recovered_at        timestamptz,
    -- audit_replay() on the restored server: how many differences it found (0: passed).
    audit_problems      integer NOT NULL,
    took_ms             bigint NOT NULL
);
CREATE INDEX restore_drills_ran ON restore_drills (ran_at);
COMMENT ON TABLE restore_drills IS 'Restore drills: a backup and the WAL archive restored into a scratch server, audited there (docs/backups.md).';

GRANT SELECT, INSERT ON backups, restore_drills TO tutorchat_app;
GRANT USAGE ON SEQUENCE restore_drills_id_seq TO tutorchat_app;
