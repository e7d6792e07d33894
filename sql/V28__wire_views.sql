-- The column lists the API's statements share, as views: a chat's header, a message as its
-- views show it (with the message it answers), a person's account and a report. PostgreSQL expands a
-- view into the statement that names it, so a view costs nothing a written-out column list
-- would not, and an expression a statement does not select is not computed.

-- A chat as its header shows it: `updated_at` is its last activity, `participants_count` its
-- current members (2 in a direct chat or an inquiry, counted for a group).
CREATE VIEW chat_headers AS
SELECT c.id, c.created_at, c.kind, c.title, c.context, c.created_by, c.active_at AS updated_at, c.closed_at,
       CASE WHEN c.kind <> 'group' THEN 2
            ELSE (SELECT count(*) FROM chat_participants n WHERE n.chat_id = c.id) END AS participants_count,
       c.active_position, c.last_message_id, c.message_count
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members.';

-- A message as a quote of it shows it: the first 100 characters, none once it is deleted,
-- hidden or purged, and which of the last two it is.
CREATE VIEW reply_previews AS
SELECT p.id AS reply_id, p.chat_id AS reply_chat_id, p.sender_id AS reply_sender_id, p.is_deleted AS reply_deleted,
       CASE WHEN NOT p.is_deleted AND p.hidden_at IS NULL AND p.purged_at IS NULL THEN left(p.content, 100) END
           AS reply_preview,
       p.position AS reply_position,
       CASE WHEN p.purged_at IS NOT NULL THEN 'purged' WHEN p.hidden_at IS NOT NULL THEN 'hidden' END AS reply_removed
FROM messages p;

COMMENT ON VIEW reply_previews IS 'A message as a reply''s quote of it shows it (the API''s ReplyPreview): no text once deleted, hidden or purged; reply_removed says which of the last two.';

-- A message with what its views show: its moderation and the message it answers.
CREATE VIEW message_views AS
SELECT m.id, m.chat_id, m.sender_id, m.content, m.is_deleted, m.created_at, m.edited_at, m.attachments, m.position,
       m.hidden_at, m.hidden_by, m.hidden_reason, m.purged_at, m.purge_cause,
       p.reply_id, p.reply_sender_id, p.reply_deleted, p.reply_preview, p.reply_position, p.reply_removed
FROM messages m
LEFT JOIN reply_previews p ON p.reply_id = m.reply_to_id;

COMMENT ON VIEW message_views IS 'A message as the API shows it (history, search, the event stream''s frames): its text, moderation and attachments, and the quote of the message it answers (reply_previews).';

-- A person's account as the server reads it: whether they are suspended now.
CREATE VIEW accounts AS
SELECT u.id, u.name, u.role, u.email, u.erasure_requested_at, u.erased_at,
       CASE WHEN u.suspended_until > now() AND u.suspended_until <> 'infinity' THEN u.suspended_until END
           AS suspended_until,
       coalesce(u.suspended_until = 'infinity', false) AS suspended_forever,
       u.suspension_reason
FROM users u;

COMMENT ON VIEW accounts IS 'A person as the server reads them to authorize a request: suspended_until is set while a suspension with an end runs (NULL once it has ended), suspended_forever while one without an end does.';

-- A report as moderation lists it: the message as it is now (its text, moderation and files),
-- its chat, its sender and its reporter.
CREATE VIEW report_views AS
SELECT r.id, r.reason, r.created_at AS reported_at, r.resolved_at, r.resolution,
       c.id AS chat_id, c.kind, c.title,
       m.id AS message_id, m.content, m.created_at, m.is_deleted, m.attachments,
       m.hidden_at, m.hidden_by, m.hidden_reason, m.purged_at, m.purge_cause,
       s.id AS sender_id, s.name AS sender_name, s.role AS sender_role,
       p.id AS reporter_id, p.name AS reporter_name, p.role AS reporter_role
FROM reports r
JOIN messages m ON m.id = r.message_id
JOIN chats c ON c.id = r.chat_id
JOIN users s ON s.id = m.sender_id
JOIN users p ON p.id = r.reporter_id;

COMMENT ON VIEW report_views IS 'A report as moderation lists it (the API''s ReportView): the message as it is now, its chat, its sender and its reporter.';

GRANT SELECT ON chat_headers, reply_previews, message_views, accounts, report_views TO tutorchat_app;
