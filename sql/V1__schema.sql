-- The tables of the primary spec, plus the event log they are projected from.
--
-- `events` is the truth: an append-only log with a global, gap-free `position`.
-- `chats`, `chat_participants` and `messages` are projections of it, maintained by the
-- triggers in V2 inside the transaction that appends the event.
-- `users` and `lessons` belong to the school's own systems and are plain tables.

CREATE TABLE users (
    id         bigserial PRIMARY KEY,
    email      varchar(255) UNIQUE NOT NULL,
    name       varchar(255) NOT NULL,
    role       varchar(20) NOT NULL CHECK (role IN ('student', 'teacher', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lessons (
    id           bigserial PRIMARY KEY,
    teacher_id   bigint NOT NULL REFERENCES users (id),
    student_id   bigint NOT NULL REFERENCES users (id),
    scheduled_at timestamptz NOT NULL,
    status       varchar(20) NOT NULL CHECK (status IN ('scheduled', 'completed', 'cancelled')),
    completed_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_lessons_teacher_student ON lessons (teacher_id, student_id);
CREATE INDEX idx_lessons_status ON lessons (status);

-- The append-only log. Rows are never updated or deleted (V2 refuses it).
-- `position` is assigned by a trigger under a transaction-scoped lock held until commit, so
-- positions become visible in increasing order and one integer is an exact reader cursor.
CREATE SEQUENCE events_position_seq AS bigint;

CREATE TABLE events (
    position   bigint PRIMARY KEY,
    chat_id    bigint NOT NULL,
    actor_id   bigint REFERENCES users (id),      -- NULL for system events (a lesson trigger)
    type       text NOT NULL CHECK (type IN ('chat_created', 'message_created', 'message_deleted')),
    payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

ALTER SEQUENCE events_position_seq OWNED BY events.position;

CREATE INDEX idx_events_chat_position ON events (chat_id, position);

-- Projection. `student_id`/`teacher_id` identify a one-to-one chat; the unique constraint is
-- what makes "one chat per pair, ever" hold under concurrent lesson completions. A future
-- group chat leaves them NULL (NULLs never conflict).
CREATE SEQUENCE chats_id_seq AS bigint;

CREATE TABLE chats (
    id         bigint PRIMARY KEY DEFAULT nextval('chats_id_seq'),
    student_id bigint REFERENCES users (id),
    teacher_id bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chats_one_per_pair UNIQUE (student_id, teacher_id)
);

ALTER SEQUENCE chats_id_seq OWNED BY chats.id;

-- Projection. `last_read_message_id` is the participant's read marker: messages from others
-- with a greater id are unread. Nothing moves it yet, so everything from others is unread.
CREATE TABLE chat_participants (
    id                   bigserial PRIMARY KEY,
    chat_id              bigint NOT NULL REFERENCES chats (id),
    user_id              bigint NOT NULL REFERENCES users (id),
    role                 varchar(20) NOT NULL CHECK (role IN ('student', 'teacher')),
    joined_at            timestamptz NOT NULL DEFAULT now(),
    last_read_message_id bigint NOT NULL DEFAULT 0,
    UNIQUE (chat_id, user_id)
);

CREATE INDEX idx_participants_user ON chat_participants (user_id);
CREATE INDEX idx_participants_chat ON chat_participants (chat_id);

-- Projection. Soft delete only: a deletion sets is_deleted (and who/when) and keeps the row.
CREATE SEQUENCE messages_id_seq AS bigint;

CREATE TABLE messages (
    id         bigint PRIMARY KEY,
    chat_id    bigint NOT NULL REFERENCES chats (id),
    sender_id  bigint NOT NULL REFERENCES users (id),
    content    text NOT NULL
        CONSTRAINT messages_content_length CHECK (char_length(content) BETWEEN 1 AND 10000)
        CONSTRAINT messages_content_not_blank CHECK (content ~ '[^[:space:]]'),
    is_deleted boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    deleted_at timestamptz,
    deleted_by bigint REFERENCES users (id),
    position   bigint NOT NULL                     -- the message_created event's position
);

ALTER SEQUENCE messages_id_seq OWNED BY messages.id;

CREATE INDEX idx_messages_chat_time ON messages (chat_id, created_at DESC);
CREATE INDEX idx_messages_sender ON messages (sender_id);
-- History pages and "last message" walk this index: newest visible messages of a chat by id.
CREATE INDEX idx_messages_chat_visible ON messages (chat_id, id DESC) WHERE NOT is_deleted;
