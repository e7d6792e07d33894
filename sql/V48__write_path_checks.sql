-- The write path's foreign keys that the log's rules decide already, dropped (issue: the
-- database's work per message). Each was a row trigger fired for every message inside the
-- log's serialized window (the ordering lock is held from an append's first row to its
-- commit): a lookup of the referenced row and a lock on it, up to three a message, a third of
-- the work of appending one. What each guaranteed holds without it:
-- - events.actor_id names a user: events_before_insert refuses an unknown actor (SQLSTATE
--   foreign_key_violation), and a plain message's sender must be a member (chat_participants,
--   whose own keys reference users and chats), checked once per statement by
--   events_after_insert.
-- - messages.chat_id and sender_id: only the log writes messages (tutorchat_app may only read
--   it), from a message_created event whose sender is a member of its chat.
-- - messages.reply_to_id: a message of the same chat (events_rule_message_created).
-- - messages.deleted_by: the message's author (events_rule_message_deleted); hidden_by: an
--   admin (events_rule_message_hidden).
-- Nothing deletes a user or a chat: no role but the owner may (an erasure blanks a person's
-- rows and keeps them), so none of these can come to name a row that is gone.

ALTER TABLE events DROP CONSTRAINT events_actor_id_fkey;
ALTER TABLE messages
    DROP CONSTRAINT messages_chat_id_fkey,
    DROP CONSTRAINT messages_sender_id_fkey,
    DROP CONSTRAINT messages_reply_to_id_fkey,
    DROP CONSTRAINT messages_deleted_by_fkey,
    DROP CONSTRAINT messages_hidden_by_fkey;

COMMENT ON COLUMN events.actor_id IS 'Who appended the event: a user (events_before_insert refuses any other id), or NULL for the system or a provisioning client.';
COMMENT ON COLUMN messages.chat_id IS 'The chat (chats.id) of the message_created event: its sender was a member then (events_after_insert).';
COMMENT ON COLUMN messages.sender_id IS 'The author (users.id): the actor of the message_created event, a member of the chat when it was appended.';
