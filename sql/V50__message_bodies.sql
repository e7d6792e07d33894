-- A history page reads its messages' mentions and reactions once for the page (the
-- functions message_mentions_in and message_reactions_in), not once per message: per message,
-- each was an aggregate started, sorted and ended again, and together they were about half of
-- the page's time in PostgreSQL. message_bodies is message_views without the mentions; the
-- view keeps its columns, now message_bodies' and then the mentions, as V43 defined them.
CREATE VIEW message_bodies AS
SELECT m.id, m.chat_id, m.sender_id, m.content, m.is_deleted, m.created_at, m.edited_at, m.attachments, m.position,
       m.hidden_at, m.hidden_by, m.hidden_reason, m.purged_at, m.purge_cause,
       p.reply_id, p.reply_sender_id, p.reply_deleted, p.reply_preview, p.reply_position, p.reply_removed
FROM messages m
LEFT JOIN reply_previews p ON p.reply_id = m.reply_to_id;

COMMENT ON VIEW message_bodies IS 'A message as the API shows it, but for the people it mentions (message_views adds them one message at a time, message_mentions_in for many at once): its text, moderation and attachments, and the quote of the message it answers (reply_previews).';

GRANT SELECT ON message_bodies TO tutorchat_app;

CREATE OR REPLACE VIEW message_views AS
SELECT b.*,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', u.id, 'name', u.name) ORDER BY u.id), '[]')
        FROM message_mentions x JOIN users u ON u.id = x.user_id
        WHERE x.message_id = b.id) AS mentions
FROM message_bodies b;
