-- Who read a chat they take no part in: an admin opening its history, exporting it, finding it
-- in a search (a guardian, later). One row per read, by whom, of which chat, through which
-- endpoint, when. Not an event of the log (a read changes no chat, and the log's order is the
-- writes'), but kept as the log is: the runtime role may only add rows (access_record), never
-- change or delete one; retention removes them with the messages (access_records_purge).

CREATE TABLE access_records (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id   bigint NOT NULL,
    reader_id bigint NOT NULL,
    via       text NOT NULL CHECK (via IN ('history', 'export', 'search', 'stream')),
    read_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE access_records IS 'Every read of a chat by someone who is not its participant (an admin today): who (reader_id), which chat, through which endpoint (via: history, export, search, stream), when. Written only through access_record; removed only by retention (access_records_purge); shown by audit_chat_timeline, GET /api/admin/access-records and a student''s GET /api/me/readers.';

CREATE INDEX access_records_chat ON access_records (chat_id, read_at);
CREATE INDEX access_records_read_at ON access_records (read_at);

GRANT SELECT ON access_records TO tutorchat_app;
