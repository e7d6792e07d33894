-- Reactions: a participant's emoji on a message they can see, one of a bounded set of eight
-- (reaction_emojis(), the same list as the server's api::reactions::REACTIONS), each person at
-- most once per emoji per message. Each is an event of the log by that person (reaction_added,
-- reaction_removed: events_rule_reaction), kept here as it is now by events_apply and rebuilt
-- from the log by audit_replay.
--
-- A row goes when its person takes it back, when the message is purged (retention, erasure of
-- its author: events_purge) and when the person is erased (events_erase_person). A hidden or
-- deleted message keeps its rows (hiding is undone by unhiding) but shows none: history, the
-- stream's replay and exports leave them out while it is so.

CREATE TABLE message_reactions (
    message_id bigint NOT NULL REFERENCES messages (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    emoji      text NOT NULL,
    chat_id    bigint NOT NULL REFERENCES chats (id),
    position   bigint NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

COMMENT ON TABLE message_reactions IS 'Each reaction as it is now: user_id reacted emoji (one of reaction_emojis()) to message_id of chat_id, by the reaction_added event at position. Kept by events_apply (reaction_added inserts, reaction_removed deletes; a purge deletes the message''s, an erasure the person''s); rebuilt by audit_replay.';

-- An erasure deletes a person's reactions; a scoped audit_replay reads a chat's.
CREATE INDEX message_reactions_user ON message_reactions (user_id);
CREATE INDEX message_reactions_chat ON message_reactions (chat_id);

GRANT SELECT ON message_reactions TO tutorchat_app;

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared', 'closure_requested', 'closure_declined', 'chat_muted', 'chat_unmuted',
    'chat_archived', 'chat_unarchived', 'reaction_added', 'reaction_removed'));
