-- Unread counts are derived when read, for every kind of chat, and kept nowhere: a member's
-- count is the chat's messages after their read marker that someone else sent and that are
-- still to be read (not deleted, hidden or purged), counted by chat_unread from the index
-- below. Before, every message updated one chat_participants row per other member inside the
-- append (257 row updates for a message to a class of 257), and only announcements derived
-- theirs. Now a message costs the same whoever reads it; a count costs an index-only range
-- as long as the unread messages, and only when somebody asks for it.
--
-- idx_messages_chat_visible keeps its key and predicate (history pages, a chat's newest
-- message) and carries the three columns the count filters on, so that it is answered from
-- the index alone. hidden_at and purged_at are already in other indexes' predicates (search,
-- retention): setting them was never a heap-only update, so carrying them costs no HOT.

DROP INDEX idx_messages_chat_visible;
CREATE INDEX idx_messages_chat_visible ON messages (chat_id, id DESC) INCLUDE (sender_id, hidden_at, purged_at)
    WHERE NOT is_deleted;

ALTER TABLE chat_participants DROP COLUMN unread_count;
