-- Scheduled send: a message its author asked to be sent later (POST /api/messages with
-- send_at). It is not an event of the log until it is sent: nobody but its author sees it,
-- no stream, no export, no unread count. At send_at one replica takes the row (FOR UPDATE
-- SKIP LOCKED), appends the message_created (or hands it to quiet hours: held_messages) and
-- marks the row sent in the same transaction, so it is sent once, whichever replicas run,
-- restart or die meanwhile. If the log refuses it then (the author removed, suspended, the
-- chat closed), the row is marked failed with the reason, for its author to see.
--
-- A sent row keeps no text (the message is the log's now): its id answers a late change 409.
-- Erasure deletes a person's rows as it is asked for (events_apply, user_erasure_requested).

CREATE TABLE scheduled_messages (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id             bigint NOT NULL REFERENCES chats (id),
    author_id           bigint NOT NULL REFERENCES users (id),
    content             text NOT NULL,
    reply_to_message_id bigint,
    idempotency_key     text,
    send_at             timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    message_id          bigint,
    held_message_id     bigint,
    failed_at           timestamptz,
    failure_code        text,
    failure             text,
    UNIQUE (author_id, idempotency_key),
    CONSTRAINT scheduled_messages_one_outcome CHECK (sent_at IS NULL OR failed_at IS NULL),
    CONSTRAINT scheduled_messages_failure CHECK ((failed_at IS NULL) = (failure_code IS NULL))
);

COMMENT ON TABLE scheduled_messages IS 'Messages their author scheduled (POST /api/messages with send_at): pending until send_at, then sent once (sent_at; message_id, or held_message_id when quiet hours held it), in the transaction that appends it, or failed (failed_at, failure_code, failure: the log refused it then). Only the author sees a row; a sent one keeps no content. Not a read model: the log knows a message once it is sent.';

-- The sender's question: the soonest pending row.
CREATE INDEX scheduled_messages_due ON scheduled_messages (send_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;
-- The author's list.
CREATE INDEX scheduled_messages_author ON scheduled_messages (author_id, send_at, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON scheduled_messages TO tutorchat_app;
