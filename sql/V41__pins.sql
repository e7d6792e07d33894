-- Pins: a group's owner, or either participant of a direct chat (an inquiry's teacher), pins up
-- to PINS_PER_CHAT of the chat's messages, which every reader of the chat sees at its top.
-- Each pin and unpin is an event of the log by that person (message_pinned, message_unpinned,
-- payload message_id); chat_pins is their read model, kept by events_apply and rebuilt by
-- audit_replay. A message hidden, deleted or purged leaves chat_pins by the same apply that
-- hides, deletes or purges it (no event of its own: the log says it by the hide, deletion or
-- purge), and showing it again (message_unhidden) does not pin it again.

CREATE TABLE chat_pins (
    message_id bigint PRIMARY KEY REFERENCES messages (id),
    chat_id    bigint NOT NULL REFERENCES chats (id),
    pinned_by  bigint NOT NULL REFERENCES users (id),
    pinned_at  timestamptz NOT NULL,
    position   bigint NOT NULL
);

COMMENT ON TABLE chat_pins IS 'The messages pinned in each chat now: the message_pinned at position, by pinned_by, not unpinned (message_unpinned) nor hidden, deleted or purged since (which unpin it). Kept from the log by events_apply, checked by audit_replay; listed newest pin first (GET /api/chats/{id}/pins).';

CREATE INDEX chat_pins_chat ON chat_pins (chat_id, position);

GRANT SELECT ON chat_pins TO tutorchat_app;

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared', 'closure_requested', 'closure_declined', 'chat_muted', 'chat_unmuted',
    'chat_archived', 'chat_unarchived', 'reaction_added', 'reaction_removed', 'message_pinned', 'message_unpinned'));
