-- Offline notices fanned out after commit, from the log (notices_fan_out), no longer inside the
-- append: a message to a chat of 257 wrote up to 256 notice rows in its own transaction.
-- notices_fanned_out holds how far the log has been fanned out; it moves with the notices it
-- wrote, in their transaction, so a replica that dies between a message's commit and its
-- notices leaves the cursor where it was, and the next round (any replica's) writes them once.
-- It starts at the log's end: the messages before this migration had theirs written with them.
--
-- The log's comment as it now stands: no read model per member, notices after the commit, and
-- every append of the database's own (the lesson triggers, a rule's consequences) through
-- events_append.

CREATE TABLE notices_fanned_out (position bigint NOT NULL);
INSERT INTO notices_fanned_out (position) SELECT coalesce(max(position), 0) FROM events;
CREATE UNIQUE INDEX notices_fanned_out_one_row ON notices_fanned_out ((true));

COMMENT ON TABLE notices_fanned_out IS 'One row: the log position up to which notices_fan_out() has written the offline notices of message_created events. Moved only with the notices it wrote, in their transaction; moved to the log head when a deployment starts with notices off, or turns them on (notify_announce: no notice for what was written while they were off).';

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
position is the event stream''s id. Everything appends through events_append, the lesson
triggers and the appends a rule makes inside another included; only an INSERT by hand (psql)
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

Read models (chats, chat_participants, chat_memberships, messages, reports, users''
suspension and erasure) change in the appending transaction, by the triggers, never otherwise;
audit_replay() rebuilds them from this table and lists every difference. Unread counts are
derived from them when read (chat_unread). The offline notices outbox is written from this table
after the commit (notices_fan_out, its cursor notices_fanned_out).';
