-- Quiet hours: a teacher's message to a chat with a student, sent inside QUIET_HOURS, is
-- accepted and held here, then delivered when they end, as a message_created event (which
-- says since when it was held). Only messages not delivered yet are here: the row is deleted
-- in the transaction that appends the event, so each is delivered once, by one replica.

CREATE TABLE held_messages (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id             bigint NOT NULL REFERENCES chats (id),
    sender_id           bigint NOT NULL REFERENCES users (id),
    content             text NOT NULL,
    reply_to_message_id bigint,
    attachment_ids      bigint[] NOT NULL DEFAULT '{}',
    idempotency_key     text,
    held_at             timestamptz NOT NULL DEFAULT now(),
    deliver_at          timestamptz NOT NULL,
    UNIQUE (sender_id, idempotency_key)
);

COMMENT ON TABLE held_messages IS 'Messages quiet hours hold (QUIET_HOURS): accepted at held_at, delivered at deliver_at (or earlier, by an admin) as a message_created event with held_since, in the transaction that deletes the row. Visible to their sender and to admins until then; nobody else sees them.';

CREATE INDEX held_messages_due ON held_messages (deliver_at, id);
CREATE INDEX held_messages_chat ON held_messages (chat_id);

GRANT SELECT, INSERT, DELETE ON held_messages TO tutorchat_app;
