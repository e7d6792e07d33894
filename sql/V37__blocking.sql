-- Blocking. A teacher (or an admin) closes an inquiry by blocking its visitor: chat_closed
-- with reason 'blocked', by a person; inquiry_blocks is its read model, and the link refuses
-- that visitor again (recognised by their guest credential, and for a bounded time by a keyed
-- hash of the address they opened from, guest_addresses). A guardian asks the school to close
-- a teacher-student chat: closure_requested (the guardian's), then an admin's chat_closed
-- (reason 'guardian_request') or closure_declined; closure_requests is their read model.

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared', 'closure_requested', 'closure_declined'));

CREATE TABLE inquiry_blocks (
    chat_id    bigint PRIMARY KEY REFERENCES chats (id),
    link_id    bigint NOT NULL REFERENCES inquiry_links (id),
    guest_id   bigint NOT NULL REFERENCES users (id),
    blocked_by bigint NOT NULL REFERENCES users (id),
    blocked_at timestamptz NOT NULL,
    position   bigint NOT NULL
);

COMMENT ON TABLE inquiry_blocks IS 'Inquiries closed by blocking their visitor (chat_closed with reason blocked, at position, by blocked_by): the link refuses that guest again. Kept from the log by events_apply, checked by audit_replay.';

CREATE INDEX inquiry_blocks_link ON inquiry_blocks (link_id, guest_id);

GRANT SELECT ON inquiry_blocks TO tutorchat_app;

CREATE TABLE guest_addresses (
    guest_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    link_id      bigint NOT NULL REFERENCES inquiry_links (id),
    address_hash bytea NOT NULL,
    opened_at    timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE guest_addresses IS 'Where a visitor opened their inquiry from, as an HMAC of the client address under the server''s key (never the address): only to refuse a blocked visitor who comes back from it within INQUIRY_BLOCK_ADDRESS_HOURS of the block. A replica deletes a row INQUIRY_BLOCK_ADDRESS_HOURS after its inquiry closed (governance::forget_addresses); an erased guest''s row goes with their erasure.';

CREATE INDEX guest_addresses_link ON guest_addresses (link_id, address_hash);

GRANT SELECT, INSERT, DELETE ON guest_addresses TO tutorchat_app;

CREATE TABLE closure_requests (
    id           bigint PRIMARY KEY,
    chat_id      bigint NOT NULL REFERENCES chats (id),
    requested_by bigint NOT NULL REFERENCES users (id),
    reason       text NOT NULL,
    requested_at timestamptz NOT NULL,
    outcome      text CHECK (outcome IN ('closed', 'declined')),
    decided_by   bigint REFERENCES users (id),
    decided_at   timestamptz,
    note         text,
    CHECK ((outcome IS NULL) = (decided_at IS NULL))
);

COMMENT ON TABLE closure_requests IS 'A guardian''s request that the school close a direct chat of their child (closure_requested, its id the event''s position), and its outcome: closed (the admin''s chat_closed naming it) or declined (closure_declined, with an optional note). Kept from the log by events_apply, checked by audit_replay; the reason is blanked when the guardian is erased.';

CREATE INDEX closure_requests_open ON closure_requests (requested_at) WHERE outcome IS NULL;
CREATE INDEX closure_requests_by ON closure_requests (requested_by);
CREATE INDEX closure_requests_chat ON closure_requests (chat_id);

GRANT SELECT ON closure_requests TO tutorchat_app;

CREATE VIEW closure_request_views AS
SELECT r.id, r.chat_id, r.requested_by, r.reason, r.requested_at, r.outcome, r.decided_by, r.decided_at, r.note,
       g.id AS guardian_id, g.name AS guardian_name, g.role AS guardian_role,
       s.id AS student_id, s.name AS student_name, s.role AS student_role,
       t.id AS teacher_id, t.name AS teacher_name, t.role AS teacher_role
FROM closure_requests r
JOIN chats c ON c.id = r.chat_id
JOIN users g ON g.id = r.requested_by
JOIN users s ON s.id = c.student_id
JOIN users t ON t.id = c.teacher_id;

COMMENT ON VIEW closure_request_views IS 'A closure request as the guardian who asked and the admins see it (the API''s ClosureRequestView): the guardian, the chat''s pair, the reason and the outcome.';

GRANT SELECT ON closure_request_views TO tutorchat_app;
