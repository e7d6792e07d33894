-- Flags a moderator sees first: the school's list of words and phrases (flag_terms), matched
-- through search's morphology; a message that matches is flagged by the system (a
-- message_flagged event, with the matched term), as is a burst of a teacher's messages to many
-- students' chats out of hours (held_messages.burst). A flag is a report without a reporter;
-- a moderator hides the message or clears the flag (report_cleared). Flags never block or
-- change delivery.

CREATE TABLE flag_terms (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    term       text NOT NULL UNIQUE CHECK (char_length(term) BETWEEN 1 AND 200),
    query      tsquery NOT NULL,
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE flag_terms IS 'The school''s words and phrases that flag a message (written as a search query: "quoted words" in order, or for alternatives): query is websearch_to_tsquery(''russian'', term), matched against messages.search, so every form a search finds (встретимся and встретиться; meet and meeting) is flagged.';

GRANT SELECT, INSERT, DELETE ON flag_terms TO tutorchat_app;

-- How far the flagger has read the log: one row, taken FOR UPDATE by one replica at a time.
-- It starts at the log's head: messages written before flags existed are not flagged.
CREATE TABLE flag_cursor (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position bigint NOT NULL
);
INSERT INTO flag_cursor (position) SELECT coalesce(max(position), 0) FROM events;

COMMENT ON TABLE flag_cursor IS 'The last log position the flagger matched against flag_terms (advanced in the transaction that appends its message_flagged events: each message is matched once).';

GRANT SELECT, UPDATE ON flag_cursor TO tutorchat_app;

ALTER TABLE held_messages ADD COLUMN burst text;
COMMENT ON COLUMN held_messages.burst IS 'Set when the sender held messages to many students'' chats in a short time (FLAG_BURST_CHATS within FLAG_BURST_MINUTES): the message is flagged as it is delivered.';
GRANT UPDATE (burst) ON held_messages TO tutorchat_app;

ALTER TABLE reports ALTER COLUMN reporter_id DROP NOT NULL;
ALTER TABLE reports ADD COLUMN flag text;
ALTER TABLE reports DROP CONSTRAINT reports_resolution;
ALTER TABLE reports ADD CONSTRAINT reports_resolution CHECK (resolution IN ('hidden', 'cleared'));
ALTER TABLE reports ADD CONSTRAINT reports_flag_or_reporter CHECK ((reporter_id IS NULL) = (flag IS NOT NULL));
CREATE UNIQUE INDEX reports_flag_once ON reports (message_id, flag) WHERE flag IS NOT NULL;
COMMENT ON COLUMN reports.flag IS 'A system flag''s cause (the matched term, or the burst): set exactly when there is no reporter.';

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared'));

CREATE OR REPLACE VIEW report_views AS
SELECT r.id, r.reason, r.created_at AS reported_at, r.resolved_at, r.resolution,
       c.id AS chat_id, c.kind, c.title,
       m.id AS message_id, m.content, m.created_at, m.is_deleted, m.attachments,
       m.hidden_at, m.hidden_by, m.hidden_reason, m.purged_at, m.purge_cause,
       s.id AS sender_id, s.name AS sender_name, s.role AS sender_role,
       p.id AS reporter_id, p.name AS reporter_name, p.role AS reporter_role,
       r.flag
FROM reports r
JOIN messages m ON m.id = r.message_id
JOIN chats c ON c.id = r.chat_id
JOIN users s ON s.id = m.sender_id
LEFT JOIN users p ON p.id = r.reporter_id;

COMMENT ON VIEW report_views IS 'A report as moderation lists it (the API''s ReportView): the message as it is now, its chat, its sender and its reporter, or, for a system flag, no reporter and the flag.';
