-- The marketplace dialect (`/api/chat`, docs/dialect-marketplace.md): which listing (an inquiry
-- link) a chat was opened from, and by which buyer. An anonymous buyer is a visitor known by the
-- UUID their page keeps: their credential on that dialect, standing for the guest the chat was
-- opened with (`inquiry_open`). A registered buyer is a student, and their chat is the pair's
-- lesson chat, listed under every listing they opened it from.

CREATE TABLE marketplace_chats (
    link_id    bigint NOT NULL REFERENCES inquiry_links (id),
    buyer_id   bigint NOT NULL REFERENCES users (id),
    buyer_uuid uuid,
    chat_id    bigint NOT NULL REFERENCES chats (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (link_id, buyer_id),
    CONSTRAINT marketplace_chats_one_per_visitor UNIQUE (link_id, buyer_uuid)
);

COMMENT ON TABLE marketplace_chats IS 'The marketplace dialect''s chats: one per (listing = inquiry link, buyer). buyer_uuid is an anonymous buyer''s UUID (their credential there, standing for the guest buyer_id, whose inquiry chat chat_id is); NULL for a registered buyer (a student, in the pair''s lesson chat). Not an event: the chats and their messages are in the log; this says only which page they came from.';

CREATE INDEX marketplace_chats_uuid ON marketplace_chats (buyer_uuid, chat_id) WHERE buyer_uuid IS NOT NULL;
CREATE INDEX marketplace_chats_chat ON marketplace_chats (chat_id);

GRANT SELECT, INSERT ON marketplace_chats TO tutorchat_app;
