-- The log without a global serialized window (events_append): each row carries the id of the
-- transaction that appended it, and readers keep only the settled prefix, the rows before the
-- first whose transaction is not below the oldest one running (log_head, and the readers in
-- src/log/store.rs). Rows from before this migration have none: settled.
--
-- events_xid: the readers' cut asks for the rows whose transaction may still be running (a
-- range at the index's right end).
--
-- The application appends only through events_append (SECURITY DEFINER), which draws its
-- numbers in a short turn: the runtime role may no longer INSERT into events, so no caller
-- can hand the log numbers of its own. An INSERT by the owner (psql, the lesson trigger)
-- draws its own, under the log lock held exclusively to commit, as every append did before.

-- log_floor: the rows at or below its position count as settled whatever their xid. A
-- logical copy (pg_dump and restore, logical replication into another cluster) carries the
-- xids of the cluster it came from, which mean nothing in this one; the migrating start-up
-- finds them (log_floor_after_restore) and moves the floor over them.

ALTER TABLE events ADD COLUMN xid xid8;
CREATE TABLE log_floor (position bigint NOT NULL);
INSERT INTO log_floor (position) VALUES (0);
CREATE UNIQUE INDEX log_floor_one_row ON log_floor ((true));
GRANT SELECT ON log_floor TO tutorchat_app;
COMMENT ON TABLE log_floor IS 'One row: the events at or below position count as settled whatever their xid (those restored from a logical copy, whose transaction ids are another cluster''s). Moved only by log_floor_after_restore(), at a migrating start-up.';
CREATE INDEX events_xid ON events (xid);
REVOKE INSERT ON events FROM tutorchat_app;

COMMENT ON COLUMN events.xid IS 'The transaction that appended the row (pg_current_xact_id()); NULL for rows from before it was recorded, which count as settled. Readers stop at the first row whose transaction is not below the oldest one running (log_head).';

COMMENT ON TABLE events IS 'The event log: the truth every read model is kept from. Rows are
never deleted (events_immutable refuses it, for every role), and never updated but for one
thing: blanking the content of a message that a messages_purged event of the log has purged
(events_redaction_only; the event says which, why and when).

Scope. A chat''s events carry its chat_id; events about a person (user_suspended,
user_unsuspended, user_erasure_requested, user_erased) carry none (events_scope) and name the
person in payload.user_id.

Ordering. The application appends through events_append: it locks what the events are about
(chats, people) to commit, then in a turn of microseconds takes its transaction id and draws
a block of positions, message ids and one created_at, so positions follow transaction ids;
each row carries its transaction (xid). Nothing waits for other appends to commit. Readers
(read_after, log_head) read after their cursor in position order and stop at the first row
whose transaction is not below the oldest transaction running (pg_snapshot_xmin): every row
before it has ended, committed or rolled back, so "events after my cursor" is exact, and the
position is the event stream''s id. An INSERT without events_append (psql, the lesson trigger)
draws row by row under the advisory lock (1953854575, 1) held exclusively to commit, which
waits for the appends in flight (each holds it shared) and keeps anyone from drawing until it
ends. Rolled-back appends and no-ops leave holes in the numbering; holes are never filled.
created_at is drawn with the position, so it follows log order.

Notification. A wake-up on channel ''tutorchat_events'', payload = the highest position
appended: sent by the writer after its commit (a NOTIFY inside the transaction would hold
PostgreSQL''s notification lock through the commit''s WAL flush), by events_append when asked,
or by events_after_insert for an INSERT without it. It is only a wake-up: every replica''s
listener reads the table after its cursor, and reads again shortly while a read was cut, so a
lost notification loses nothing.

Read models (chats, chat_participants, chat_memberships, messages, unread counts, reports,
users'' suspension and erasure, the notices outbox) change in the appending transaction, by the
triggers, never otherwise; audit_replay() rebuilds them from this table and lists every
difference.';
