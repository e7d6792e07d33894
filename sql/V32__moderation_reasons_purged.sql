-- A purged message's reports and hides go with its text: their reasons may quote it
-- (events_purge blanks them, in the log too). These find them without reading a chat's log.

CREATE INDEX reports_message ON reports (message_id);

CREATE INDEX events_hides ON events (((payload ->> 'message_id')::bigint)) WHERE type = 'message_hidden';
