-- Who left the school hears nothing more from it, and the reads of a child's chat that were
-- not recorded are.
--
-- users_departed: the people who left (deactivated), a handful of the school. The outbox
-- (events_after_insert) writes a notice to nobody among them: one probe of this index per
-- recipient of a message, which stays as small as the departures are few, next to the
-- probes presence_online makes already.
--
-- access_records.via: two more ways of reading a child's chat, recorded as the others are
-- (access_record): `attachment`, an admin's or a guardian's download of one of its files
-- (GET /api/attachments/{id}), and `chat_list`, a guardian's chat list showing its last
-- message (GET /api/chats), one record per chat shown with a message, per listing.

CREATE INDEX users_departed ON users (id) WHERE deactivated_at IS NOT NULL;

ALTER TABLE access_records DROP CONSTRAINT access_records_via_check;
ALTER TABLE access_records ADD CONSTRAINT access_records_via_check
    CHECK (via IN ('history', 'export', 'search', 'stream', 'attachment', 'chat_list'));

COMMENT ON TABLE access_records IS 'Every read of a chat by someone who is not its participant (an admin, a guardian): who (reader_id), which chat, through which endpoint (via: history, export, search, stream, attachment: a file''s download, chat_list: a guardian''s chat list showing its last message), when. Written only through access_record; removed only by retention (access_records_purge); shown by audit_chat_timeline, GET /api/admin/access-records and a student''s GET /api/me/readers.';
