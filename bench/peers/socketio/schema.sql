-- The peer's tables, in tutorchat's database (none of tutorchat's own is touched): the chats it
-- reads membership from (the benchmark fills it from tutorchat's `chats`: the same pairs, the
-- same user ids, so the same tokens), its messages, and the table the socket.io PostgreSQL
-- adapter keeps packets too large for a NOTIFY in (its README's schema).
CREATE TABLE IF NOT EXISTS peer_chats (
    id         bigint PRIMARY KEY,
    student_id bigint NOT NULL,
    teacher_id bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS peer_messages (
    id         bigserial PRIMARY KEY,
    chat_id    bigint NOT NULL REFERENCES peer_chats (id),
    sender_id  bigint NOT NULL,
    content    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS peer_messages_chat ON peer_messages (chat_id, id);

CREATE TABLE IF NOT EXISTS socket_io_attachments (
    id         bigserial UNIQUE,
    created_at timestamptz DEFAULT now(),
    payload    bytea
);
