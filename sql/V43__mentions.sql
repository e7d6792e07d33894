-- Mentions: "@Full Name" in a group's message names a member. The log resolves them when the
-- message is appended (message_mentions_resolve(), called by events_rule_message_created and
-- events_rule_message_edited under the log's lock): for each "@" at a word's start, the current
-- members other than the sender (not erased) whose name follows it, the longest name matching
-- case-insensitively and followed by the text's end or a character that is not a letter or a
-- digit. The event's payload keeps their ids (mentions: [ids], absent when none), and this
-- table keeps each message's mentions as its newest text named them (an edit resolves its text
-- again), rebuilt from the log by audit_replay.
--
-- A row goes when its message is purged (retention, erasure of its author: events_purge) and
-- when the person mentioned is erased (events_erase_person); a hidden or deleted message keeps
-- its rows but shows none. A mention notifies the person even in a chat they muted
-- (notice_reader()).

CREATE TABLE message_mentions (
    message_id bigint NOT NULL REFERENCES messages (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    chat_id    bigint NOT NULL REFERENCES chats (id),
    PRIMARY KEY (message_id, user_id)
);

COMMENT ON TABLE message_mentions IS 'Each message''s mentions as they are now: message_id of chat_id names user_id, as the newest text of the message (its message_created, or its newest message_edited) resolved it (the payload''s mentions). Kept by events_after_insert (new messages) and events_apply (edits: replaced); a purge deletes the message''s, an erasure the person''s; rebuilt by audit_replay.';

-- Whether a person's unread messages of a chat mention them (notice_reader), and an erasure's
-- deletion; a scoped audit_replay reads a chat's.
CREATE INDEX message_mentions_user ON message_mentions (user_id, chat_id, message_id);
CREATE INDEX message_mentions_chat ON message_mentions (chat_id);

GRANT SELECT ON message_mentions TO tutorchat_app;

-- A message as the API shows it, now with whom it mentions, named as they are now.
CREATE OR REPLACE VIEW message_views AS
SELECT m.id, m.chat_id, m.sender_id, m.content, m.is_deleted, m.created_at, m.edited_at, m.attachments, m.position,
       m.hidden_at, m.hidden_by, m.hidden_reason, m.purged_at, m.purge_cause,
       p.reply_id, p.reply_sender_id, p.reply_deleted, p.reply_preview, p.reply_position, p.reply_removed,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', u.id, 'name', u.name) ORDER BY u.id), '[]')
        FROM message_mentions x JOIN users u ON u.id = x.user_id
        WHERE x.message_id = m.id) AS mentions
FROM messages m
LEFT JOIN reply_previews p ON p.reply_id = m.reply_to_id;

COMMENT ON VIEW message_views IS 'A message as the API shows it (history, search, the event stream''s frames): its text, moderation and attachments, the quote of the message it answers (reply_previews), and the people it mentions with their names now (mentions: [{id, name}], by id; whether the message shows them is the caller''s to say).';
