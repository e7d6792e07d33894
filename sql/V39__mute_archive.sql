-- Archive and mute, per person: a participant's own settings of a chat, each an event of the
-- log by that person (chat_muted, chat_unmuted, chat_archived, chat_unarchived), kept on their
-- chat_participants row. Nothing is deleted: archiving is the "delete a conversation" of one
-- person's inbox, and the log keeps every message.
--
-- Columns of chat_participants rather than a table of their own: the chat list reads the
-- caller's row anyway (no join, no per-row subquery), and neither column is indexed, so the
-- updates of unread_count on every message stay heap-only (HOT); adding them with constant
-- defaults rewrites no row.

ALTER TABLE chat_participants ADD COLUMN muted boolean NOT NULL DEFAULT false;
ALTER TABLE chat_participants ADD COLUMN archived_position bigint;

COMMENT ON COLUMN chat_participants.muted IS 'The member muted the chat (chat_muted, until chat_unmuted): no offline notice (Web Push, webhook) for them about it; unread still counts.';
COMMENT ON COLUMN chat_participants.archived_position IS 'The position of the member''s chat_archived (NULL: not archived, or chat_unarchived since). The chat is out of their inbox while it has no message after this position (for good once it is closed: it gets none), as the chat list derives it: no write per message.';

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared', 'closure_requested', 'closure_declined', 'chat_muted', 'chat_unmuted',
    'chat_archived', 'chat_unarchived'));
