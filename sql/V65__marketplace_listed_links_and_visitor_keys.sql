-- The marketplace dialect, made safe to expose (docs/dialect-marketplace.md):
--
-- * A listing is an inquiry link its teacher listed on purpose (`listed`): the dialect opens
--   chats by a listing's number, so only a link made public that way may be opened without its
--   token. Links made before stay unlisted: their teachers shared their tokens, not a listing.
-- * A visitor's UUID is their credential: it is kept only as its SHA-256 (`buyer_key`), and
--   everybody else (the seller, admins) knows the visitor by a public UUID of the server's own
--   (`buyer_public`).

ALTER TABLE inquiry_links ADD COLUMN listed boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN inquiry_links.listed IS 'The teacher listed it on the school''s marketplace: the marketplace dialect opens chats through it by its id (iphone_id), without its token. Unlisted links open only by their token.';

ALTER TABLE marketplace_chats ADD COLUMN buyer_key bytea, ADD COLUMN buyer_public uuid;

UPDATE marketplace_chats SET buyer_key = sha256(uuid_send(buyer_uuid)), buyer_public = gen_random_uuid()
WHERE buyer_uuid IS NOT NULL;

ALTER TABLE marketplace_chats DROP COLUMN buyer_uuid;

ALTER TABLE marketplace_chats
    ADD CONSTRAINT marketplace_chats_one_per_visitor UNIQUE (link_id, buyer_key),
    ADD CONSTRAINT marketplace_chats_visitor_whole CHECK ((buyer_key IS NULL) = (buyer_public IS NULL)),
    ADD CONSTRAINT marketplace_chats_key_length CHECK (octet_length(buyer_key) = 32);

CREATE INDEX marketplace_chats_key ON marketplace_chats (buyer_key, chat_id) WHERE buyer_key IS NOT NULL;

COMMENT ON TABLE marketplace_chats IS 'The marketplace dialect''s chats: one per (listing = listed inquiry link, buyer). For an anonymous buyer, buyer_key is the SHA-256 of the UUID their page keeps (their credential there, standing for the guest buyer_id, whose inquiry chat chat_id is) and buyer_public the UUID everybody else knows them by; both NULL for a registered buyer (a student, in the pair''s lesson chat). Not an event: the chats and their messages are in the log; this says only which page they came from.';
