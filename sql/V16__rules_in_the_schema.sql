-- The log's rules, stated where sql/schema.sql shows them: as comments on the table and on the
-- current trigger functions (a comment before CREATE FUNCTION in a migration is lost to
-- pg_dump and goes stale when a later migration restates the function). From here on, a
-- migration that changes a rule restates its comment too. Nothing here changes behaviour.

COMMENT ON TABLE events IS $$The event log: the truth every read model is kept from. Rows are
never updated or deleted (events_immutable refuses it, for every role).

Ordering. Every append takes the transaction-scoped advisory lock (1953854575, 1) before it
draws a position (events_before_insert) and holds it until commit, which PostgreSQL releases
only once the commit is visible. Positions therefore become visible in increasing order: a
reader that has seen position N never later sees a smaller one, so "events after my cursor"
is exact, and the position is the event stream's id. Rolled-back appends leave holes in the
numbering; holes are never filled. created_at is taken under the lock, so it follows log order.

Notification. One NOTIFY per INSERT statement on channel 'tutorchat_events', payload = the
highest position the statement appended (events_after_insert). It is only a wake-up: every
replica's listener reads the table after its cursor, so a lost notification loses nothing.

Read models (chats, chat_participants, chat_memberships, messages, unread counts, the notices
outbox) change in the appending transaction, by the triggers, never otherwise; audit_replay()
rebuilds them from this table and lists every difference.$$;

COMMENT ON FUNCTION events_before_insert() IS $$Each row of an append, under the log's lock:
its position, time and (for messages) its message id, then the rules of its type. A refusal
raises with an SQLSTATE the application maps to an HTTP status; "a no-op" returns NULL, so no
event is appended and nothing is announced.

Who may append what, by type:
- chat_created: direct, only by the lesson trigger (trigger depth 2, no actor) for a completed
  lesson of a student and a teacher; one chat per pair, ever (chats_one_per_pair decides
  races). group: a teacher or an admin, with a title of 1-200 characters, not blank, and an
  optional context object. inquiry: a new guest through a live inquiry link (inquiry_open()).
- message_created: a current participant, in a chat that is not closed; content a string
  (its length is checked by the application: 1-10000 characters, or empty with
  attachments); a reply quotes a message of the same chat written since the sender joined;
  attachments are the sender's unattached uploads to this chat (attachments_bind). A plain
  message is only numbered here: its membership and closed-chat checks and its messages row
  are done once per statement by events_after_insert.
- message_edited: the author, a participant, of a message not deleted; the same text again is
  a no-op. The old text stays in the log.
- message_deleted: the author, a participant; deleting again is a no-op. Soft: the row stays,
  marked deleted.
- chat_read: a participant, up to a message of the chat; markers only move forward (an older
  one is a no-op).
- participant_added, participant_removed, chat_renamed: groups only, by the owner or an admin;
  a member may remove themself (leave). Adding a member again, removing a non-member, the same
  title again: no-ops. Admins are nobody's members.
- chat_closed: inquiry chats only, by the system (no actor); closing again is a no-op.$$;

COMMENT ON FUNCTION events_apply(events) IS $$What each event does to the read models, row by
row inside the append (a later row of the same statement sees what an earlier one did):
chat_created inserts the chat, its participants and their membership intervals (a group's
members follow as participant_added); participant_added opens an interval and starts the new
member's read marker at the chat's newest message (they see nothing from before they
joined); participant_removed closes it at this position; chat_renamed and chat_closed set the
chat's title and closed_at; message_edited sets the current text and edited_at;
message_deleted marks the message deleted; chat_read moves the reader's marker.
message_created is inserted for the whole statement by events_after_insert.$$;

COMMENT ON FUNCTION events_after_insert() IS $$Once per INSERT statement on events, over its
rows, in this order: plain messages' sender and closed-chat checks and their messages rows;
each chat's last message, message count, activity and every member's unread count; the
offline-notification outbox (a notice for each offline member, folded per chat); and the one
NOTIFY on 'tutorchat_events' with the statement's highest position.$$;
