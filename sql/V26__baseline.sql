-- The baseline: every table, sequence, view, index, constraint, comment and grant of the schema
-- as migrations V1–V26 left it, in one file (taken from pg_dump of a database they migrated).
-- A new database starts here. The functions and triggers are not here: each is a file of
-- sql/functions/, applied after the migrations (see sql/README.md).
--
-- A database migrated before this baseline existed is at V26 already: its history of V1–V26 is
-- rewritten into this one row when the server first migrates it (`db::migrate`). A database
-- at an older version must first be migrated by a build from before the baseline.
--
-- Roles are cluster-wide. The group role the replicas' login roles are members of is created
-- here when missing (the migrating role then needs CREATEROLE); a DBA may create it beforehand
-- instead: CREATE ROLE tutorchat_app NOLOGIN; login roles for the replicas: CREATE ROLE …
-- LOGIN IN ROLE tutorchat_app. What it may do is the grants below (SELECT, INSERT into the log,
-- and the few UPDATEs the application makes): never UPDATE or DELETE the log or a read model,
-- never ALTER or DROP anything.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tutorchat_app') THEN
        CREATE ROLE tutorchat_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database of this cluster created it at the same moment
END
$$;

CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE public.events (
    "position" bigint NOT NULL,
    chat_id bigint,
    actor_id bigint,
    type text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    idempotency_key text,
    CONSTRAINT events_idempotency_key_length CHECK (((char_length(idempotency_key) >= 1) AND (char_length(idempotency_key) <= 64))),
    CONSTRAINT events_scope CHECK (((chat_id IS NULL) = (type = ANY (ARRAY['user_suspended'::text, 'user_unsuspended'::text, 'user_erasure_requested'::text, 'user_erased'::text])))),
    CONSTRAINT events_type_check CHECK ((type = ANY (ARRAY['chat_created'::text, 'message_created'::text, 'message_deleted'::text, 'message_edited'::text, 'chat_read'::text, 'participant_added'::text, 'participant_removed'::text, 'chat_renamed'::text, 'chat_closed'::text, 'message_reported'::text, 'message_hidden'::text, 'message_unhidden'::text, 'messages_purged'::text, 'chat_exported'::text, 'user_suspended'::text, 'user_unsuspended'::text, 'user_erasure_requested'::text, 'user_erased'::text])))
);

COMMENT ON TABLE public.events IS 'The event log: the truth every read model is kept from. Rows are
never deleted (events_immutable refuses it, for every role), and never updated but for one
thing: blanking the content of a message that a messages_purged event of the log has purged
(events_redaction_only; the event says which, why and when).

Scope. A chat''s events carry its chat_id; events about a person (user_suspended,
user_unsuspended, user_erasure_requested, user_erased) carry none (events_scope) and name the
person in payload.user_id.

Ordering. Every append takes the transaction-scoped advisory lock (1953854575, 1) before it
draws a position (events_before_insert) and holds it until commit, which PostgreSQL releases
only once the commit is visible. Positions therefore become visible in increasing order: a
reader that has seen position N never later sees a smaller one, so "events after my cursor"
is exact, and the position is the event stream''s id. Rolled-back appends leave holes in the
numbering; holes are never filled. created_at is taken under the lock, so it follows log order.

Notification. One NOTIFY per INSERT statement on channel ''tutorchat_events'', payload = the
highest position the statement appended (events_after_insert). It is only a wake-up: every
replica''s listener reads the table after its cursor, so a lost notification loses nothing.

Read models (chats, chat_participants, chat_memberships, messages, unread counts, reports,
users'' suspension and erasure, the notices outbox) change in the appending transaction, by the
triggers, never otherwise; audit_replay() rebuilds them from this table and lists every
difference.';

CREATE TABLE public.attachments (
    id bigint NOT NULL,
    chat_id bigint NOT NULL,
    uploader_id bigint NOT NULL,
    name text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    width integer,
    height integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    message_id bigint,
    CONSTRAINT attachments_content_type_check CHECK (((char_length(content_type) >= 1) AND (char_length(content_type) <= 255))),
    CONSTRAINT attachments_height_check CHECK ((height > 0)),
    CONSTRAINT attachments_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 255))),
    CONSTRAINT attachments_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT attachments_size_check CHECK ((size > 0)),
    CONSTRAINT attachments_width_check CHECK ((width > 0))
);

CREATE SEQUENCE public.attachments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.attachments_id_seq OWNED BY public.attachments.id;

CREATE TABLE public.backups (
    label text NOT NULL,
    stanza text NOT NULL,
    type text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    wal_start text NOT NULL,
    wal_stop text NOT NULL,
    size_bytes bigint NOT NULL,
    stored_bytes bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT backups_type_check CHECK ((type = ANY (ARRAY['full'::text, 'diff'::text, 'incr'::text])))
);

COMMENT ON TABLE public.backups IS 'Backups pgBackRest finished, as `tutorchat backup` recorded them (docs/backups.md).';

CREATE TABLE public.chat_memberships (
    user_id bigint NOT NULL,
    chat_id bigint NOT NULL,
    from_position bigint NOT NULL,
    to_position bigint,
    CONSTRAINT chat_memberships_order CHECK (((to_position IS NULL) OR (to_position > from_position)))
);

CREATE TABLE public.chat_participants (
    id bigint NOT NULL,
    chat_id bigint NOT NULL,
    user_id bigint NOT NULL,
    role character varying(20) NOT NULL,
    joined_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_message_id bigint DEFAULT 0 NOT NULL,
    unread_count bigint DEFAULT 0 NOT NULL,
    joined_position bigint NOT NULL,
    CONSTRAINT chat_participants_role_check CHECK (role IN ('student', 'teacher', 'guest'))
)
WITH (fillfactor='70');

CREATE SEQUENCE public.chat_participants_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.chat_participants_id_seq OWNED BY public.chat_participants.id;

CREATE TABLE public.chats (
    id bigint NOT NULL,
    student_id bigint,
    teacher_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_message_id bigint,
    message_count bigint DEFAULT 0 NOT NULL,
    kind text DEFAULT 'direct'::text NOT NULL,
    title text,
    context jsonb,
    created_by bigint,
    active_position bigint NOT NULL,
    active_at timestamp with time zone NOT NULL,
    closed_at timestamp with time zone,
    CONSTRAINT chats_kind CHECK ((kind = ANY (ARRAY['direct'::text, 'group'::text, 'inquiry'::text])))
)
WITH (fillfactor='70');

CREATE SEQUENCE public.chats_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.chats_id_seq OWNED BY public.chats.id;

CREATE SEQUENCE public.events_position_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.events_position_seq OWNED BY public.events."position";

CREATE TABLE public.file_deletions (
    sha256 text NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT file_deletions_sha256 CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text))
);

CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    role character varying(20) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    suspended_until timestamp with time zone,
    suspension_reason text,
    erasure_requested_at timestamp with time zone,
    erased_at timestamp with time zone,
    CONSTRAINT users_role_check CHECK (role IN ('student', 'teacher', 'admin', 'guest'))
);

COMMENT ON COLUMN public.users.suspended_until IS 'Suspended until then (infinity: until unsuspended): the person reads, writes nothing. Kept from user_suspended and user_unsuspended.';

COMMENT ON COLUMN public.users.erasure_requested_at IS 'An admin asked to erase this person (user_erasure_requested): from then on they cannot sign in or write, and the server purges their messages in batches.';

COMMENT ON COLUMN public.users.erased_at IS 'Every message of theirs purged, their name and email replaced (user_erased).';

CREATE VIEW public.guest_sessions AS
 SELECT u.id AS guest_id,
    c.id AS chat_id,
    ((e.payload ->> 'link_id'::text))::bigint AS link_id,
    (c.closed_at IS NOT NULL) AS ended
   FROM (((public.users u
     JOIN public.chat_participants p ON ((p.user_id = u.id)))
     JOIN public.chats c ON (((c.id = p.chat_id) AND (c.kind = 'inquiry'::text))))
     JOIN public.events e ON (((e.chat_id = c.id) AND (e.type = 'chat_created'::text))))
  WHERE ((u.role)::text = 'guest'::text);

COMMENT ON VIEW public.guest_sessions IS 'Each guest''s inquiry chat, the link that opened it (link_id) and
whether their session has ended: it ends when the chat is closed (idle for INQUIRY_IDLE_SECS, or
its link revoked). An ended guest''s credential is refused (401) and their streams end.';

CREATE TABLE public.inquiry_links (
    id bigint NOT NULL,
    token text NOT NULL,
    host_id bigint NOT NULL,
    created_by bigint NOT NULL,
    title text NOT NULL,
    context jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT inquiry_links_title_check CHECK (((char_length(title) >= 1) AND (char_length(title) <= 200))),
    CONSTRAINT inquiry_links_token_check CHECK (((char_length(token) >= 20) AND (char_length(token) <= 64)))
);

CREATE SEQUENCE public.inquiry_links_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.inquiry_links_id_seq OWNED BY public.inquiry_links.id;

CREATE TABLE public.lessons (
    id bigint NOT NULL,
    teacher_id bigint NOT NULL,
    student_id bigint NOT NULL,
    scheduled_at timestamp with time zone NOT NULL,
    status character varying(20) NOT NULL,
    completed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT lessons_status_check CHECK (status IN ('scheduled', 'completed', 'cancelled'))
);

CREATE SEQUENCE public.lessons_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.lessons_id_seq OWNED BY public.lessons.id;

CREATE TABLE public.messages (
    id bigint NOT NULL,
    chat_id bigint NOT NULL,
    sender_id bigint NOT NULL,
    content text NOT NULL,
    is_deleted boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone NOT NULL,
    deleted_at timestamp with time zone,
    deleted_by bigint,
    "position" bigint NOT NULL,
    edited_at timestamp with time zone,
    reply_to_id bigint,
    attachments jsonb,
    hidden_at timestamp with time zone,
    hidden_by bigint,
    hidden_reason text,
    purged_at timestamp with time zone,
    purge_cause text,
    search tsvector GENERATED ALWAYS AS (to_tsvector('russian'::regconfig, content)) STORED,
    CONSTRAINT messages_content_length CHECK ((char_length(content) <= 10000)),
    CONSTRAINT messages_content_not_blank CHECK (((content ~ '[^[:space:]]'::text) OR (attachments IS NOT NULL) OR (purged_at IS NOT NULL))),
    CONSTRAINT messages_purge_cause CHECK ((purge_cause = ANY (ARRAY['retention'::text, 'erasure'::text]))),
    CONSTRAINT messages_purged_empty CHECK (((purged_at IS NULL) OR ((content = ''::text) AND (attachments IS NULL))))
);

COMMENT ON COLUMN public.messages.search IS 'The text as words for full-text search (the russian configuration: Russian and English stems), kept by PostgreSQL from content: edits and purges change it in the same statement.';

CREATE SEQUENCE public.messages_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.messages_id_seq OWNED BY public.messages.id;

CREATE TABLE public.notices (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id bigint NOT NULL,
    chat_id bigint NOT NULL,
    first_message_id bigint NOT NULL,
    message_id bigint NOT NULL,
    count integer NOT NULL,
    preview text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone,
    claimed_until timestamp with time zone,
    sent_at timestamp with time zone,
    settled_at timestamp with time zone,
    last_error text,
    CONSTRAINT notices_count_check CHECK ((count > 0)),
    CONSTRAINT notices_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'sending'::text, 'retry'::text, 'delivered'::text, 'failed'::text, 'cancelled'::text])))
);

CREATE TABLE public.notify_settings (
    only_row boolean DEFAULT true NOT NULL,
    enabled boolean NOT NULL,
    CONSTRAINT notify_settings_only_row_check CHECK (only_row)
);

CREATE UNLOGGED TABLE public.presence_replicas (
    replica_id uuid NOT NULL,
    heartbeat_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

CREATE UNLOGGED TABLE public.presence_streams (
    user_id bigint NOT NULL,
    replica_id uuid NOT NULL,
    since timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.push_messages (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    notice_id uuid NOT NULL,
    subscription_id bigint NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone,
    claimed_until timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    settled_at timestamp with time zone,
    last_error text,
    CONSTRAINT push_messages_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'sending'::text, 'retry'::text, 'delivered'::text, 'failed'::text, 'cancelled'::text])))
);

COMMENT ON TABLE public.push_messages IS 'One Web Push per notice and subscription: written when the notice is first claimed, sent by one replica at a time, retried on 429 and 5xx.';

CREATE TABLE public.push_subscriptions (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    endpoint text NOT NULL,
    p256dh text NOT NULL,
    auth text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_push_at timestamp with time zone
);

COMMENT ON TABLE public.push_subscriptions IS 'Browsers subscribed to Web Push: a push service''s endpoint and the keys a payload is encrypted to (RFC 8291).';

CREATE SEQUENCE public.push_subscriptions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.push_subscriptions_id_seq OWNED BY public.push_subscriptions.id;

CREATE TABLE public.reports (
    id bigint NOT NULL,
    message_id bigint NOT NULL,
    chat_id bigint NOT NULL,
    reporter_id bigint NOT NULL,
    reason text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    resolved_at timestamp with time zone,
    resolved_by bigint,
    resolution text,
    CONSTRAINT reports_resolution CHECK ((resolution = 'hidden'::text))
);

COMMENT ON TABLE public.reports IS 'Participants'' reports of messages, one per person and message, kept from message_reported events (id = the event''s position). Resolved when an admin hides the message.';

CREATE TABLE public.restore_drills (
    id bigint NOT NULL,
    stanza text NOT NULL,
    ran_at timestamp with time zone DEFAULT now() NOT NULL,
    target_time timestamp with time zone,
    backup_label text NOT NULL,
    recovered_position bigint NOT NULL,
    recovered_at timestamp with time zone,
    audit_problems integer NOT NULL,
    took_ms bigint NOT NULL
);

COMMENT ON TABLE public.restore_drills IS 'Restore drills: a backup and the WAL archive restored into a scratch server, audited there (docs/backups.md).';

CREATE SEQUENCE public.restore_drills_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.restore_drills_id_seq OWNED BY public.restore_drills.id;

CREATE TABLE public.upload_claims (
    id bigint NOT NULL,
    uploader_id bigint NOT NULL,
    link_id bigint,
    host_id bigint,
    bytes bigint NOT NULL,
    stored_at timestamp with time zone,
    counted_until timestamp with time zone NOT NULL,
    CONSTRAINT upload_claims_bytes_check CHECK ((bytes > 0))
);

COMMENT ON TABLE public.upload_claims IS 'What counts against the upload allowances: one row per
upload, reserved before it streams (stored_at NULL, counted_until a few minutes ahead), then
settled to the stored file''s size (stored_at set, counted_until 24 hours after it) or deleted
when the upload fails. An allowance''s usage is the sum of bytes of its claims whose
counted_until is still ahead: per uploader always; for a guest''s upload also per inquiry link
(link_id) and per the link''s teacher (host_id). Claims are only written by upload_reserve,
upload_settle, upload_release and upload_claims_purge, each under the advisory locks of the
allowances it touches (upload_lock), so concurrent uploads on every replica see each other''s
claims. The runtime role has no privilege on the table.';

CREATE SEQUENCE public.upload_claims_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.upload_claims_id_seq OWNED BY public.upload_claims.id;

CREATE TABLE public.user_presence (
    user_id bigint NOT NULL,
    last_seen timestamp with time zone NOT NULL
);

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

ALTER TABLE ONLY public.attachments ALTER COLUMN id SET DEFAULT nextval('public.attachments_id_seq'::regclass);

ALTER TABLE ONLY public.chat_participants ALTER COLUMN id SET DEFAULT nextval('public.chat_participants_id_seq'::regclass);

ALTER TABLE ONLY public.chats ALTER COLUMN id SET DEFAULT nextval('public.chats_id_seq'::regclass);

ALTER TABLE ONLY public.inquiry_links ALTER COLUMN id SET DEFAULT nextval('public.inquiry_links_id_seq'::regclass);

ALTER TABLE ONLY public.lessons ALTER COLUMN id SET DEFAULT nextval('public.lessons_id_seq'::regclass);

ALTER TABLE ONLY public.push_subscriptions ALTER COLUMN id SET DEFAULT nextval('public.push_subscriptions_id_seq'::regclass);

ALTER TABLE ONLY public.restore_drills ALTER COLUMN id SET DEFAULT nextval('public.restore_drills_id_seq'::regclass);

ALTER TABLE ONLY public.upload_claims ALTER COLUMN id SET DEFAULT nextval('public.upload_claims_id_seq'::regclass);

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

ALTER TABLE ONLY public.attachments
    ADD CONSTRAINT attachments_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.backups
    ADD CONSTRAINT backups_pkey PRIMARY KEY (label);

ALTER TABLE ONLY public.chat_memberships
    ADD CONSTRAINT chat_memberships_pkey PRIMARY KEY (user_id, chat_id, from_position);

ALTER TABLE ONLY public.chat_participants
    ADD CONSTRAINT chat_participants_chat_id_user_id_key UNIQUE (chat_id, user_id);

ALTER TABLE ONLY public.chat_participants
    ADD CONSTRAINT chat_participants_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.chats
    ADD CONSTRAINT chats_one_per_pair UNIQUE (student_id, teacher_id);

ALTER TABLE ONLY public.chats
    ADD CONSTRAINT chats_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY ("position");

ALTER TABLE ONLY public.file_deletions
    ADD CONSTRAINT file_deletions_pkey PRIMARY KEY (sha256);

ALTER TABLE ONLY public.inquiry_links
    ADD CONSTRAINT inquiry_links_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.inquiry_links
    ADD CONSTRAINT inquiry_links_token_key UNIQUE (token);

ALTER TABLE ONLY public.lessons
    ADD CONSTRAINT lessons_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notify_settings
    ADD CONSTRAINT notify_settings_pkey PRIMARY KEY (only_row);

ALTER TABLE ONLY public.presence_replicas
    ADD CONSTRAINT presence_replicas_pkey PRIMARY KEY (replica_id);

ALTER TABLE ONLY public.presence_streams
    ADD CONSTRAINT presence_streams_pkey PRIMARY KEY (user_id, replica_id);

ALTER TABLE ONLY public.push_messages
    ADD CONSTRAINT push_messages_notice_id_subscription_id_key UNIQUE (notice_id, subscription_id);

ALTER TABLE ONLY public.push_messages
    ADD CONSTRAINT push_messages_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.push_subscriptions
    ADD CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint);

ALTER TABLE ONLY public.push_subscriptions
    ADD CONSTRAINT push_subscriptions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.reports
    ADD CONSTRAINT reports_once UNIQUE (message_id, reporter_id);

ALTER TABLE ONLY public.reports
    ADD CONSTRAINT reports_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.restore_drills
    ADD CONSTRAINT restore_drills_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.upload_claims
    ADD CONSTRAINT upload_claims_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.user_presence
    ADD CONSTRAINT user_presence_pkey PRIMARY KEY (user_id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE INDEX backups_finished ON public.backups USING btree (finished_at);

CREATE UNIQUE INDEX chat_memberships_open ON public.chat_memberships USING btree (chat_id, user_id) WHERE (to_position IS NULL);

CREATE INDEX events_about_people ON public.events USING btree ((((payload ->> 'user_id'::text))::bigint), "position") WHERE (chat_id IS NULL);

CREATE INDEX events_edits ON public.events USING btree ((((payload ->> 'message_id'::text))::bigint)) WHERE (type = 'message_edited'::text);

CREATE UNIQUE INDEX events_idempotency ON public.events USING btree (actor_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);

CREATE INDEX idx_attachments_message ON public.attachments USING btree (message_id) WHERE (message_id IS NOT NULL);

CREATE INDEX idx_attachments_orphans ON public.attachments USING btree (created_at) WHERE (message_id IS NULL);

CREATE INDEX idx_attachments_sha256 ON public.attachments USING btree (sha256);

CREATE INDEX idx_attachments_uploader ON public.attachments USING btree (uploader_id, created_at);

CREATE INDEX idx_events_chat_position ON public.events USING btree (chat_id, "position");

CREATE INDEX idx_inquiry_links_host ON public.inquiry_links USING btree (host_id);

CREATE INDEX idx_lessons_status ON public.lessons USING btree (status);

CREATE INDEX idx_lessons_teacher_student ON public.lessons USING btree (teacher_id, student_id);

CREATE INDEX idx_messages_chat_time ON public.messages USING btree (chat_id, created_at DESC);

CREATE INDEX idx_messages_chat_visible ON public.messages USING btree (chat_id, id DESC) WHERE (NOT is_deleted);

CREATE INDEX idx_messages_reply_to ON public.messages USING btree (reply_to_id) WHERE (reply_to_id IS NOT NULL);

CREATE INDEX idx_messages_sender ON public.messages USING btree (sender_id);

CREATE INDEX idx_participants_chat ON public.chat_participants USING btree (chat_id);

CREATE INDEX idx_participants_user ON public.chat_participants USING btree (user_id);

CREATE INDEX idx_presence_streams_replica ON public.presence_streams USING btree (replica_id);

CREATE INDEX messages_retention ON public.messages USING btree (created_at) WHERE (purged_at IS NULL);

CREATE INDEX messages_search ON public.messages USING gin (chat_id, search) WHERE ((NOT is_deleted) AND (hidden_at IS NULL) AND (purged_at IS NULL));

COMMENT ON INDEX public.messages_search IS 'Searchable messages only (not deleted, hidden or purged), by chat then word.';

CREATE INDEX notices_open ON public.notices USING btree (created_at) WHERE (state = ANY (ARRAY['pending'::text, 'sending'::text, 'retry'::text]));

CREATE UNIQUE INDEX notices_pending ON public.notices USING btree (user_id, chat_id) WHERE (state = 'pending'::text);

CREATE INDEX notices_sent ON public.notices USING btree (user_id, chat_id, sent_at DESC) WHERE (sent_at IS NOT NULL);

CREATE INDEX notices_settled ON public.notices USING btree (settled_at) WHERE (settled_at IS NOT NULL);

CREATE INDEX push_messages_open ON public.push_messages USING btree (created_at) WHERE (state = ANY (ARRAY['pending'::text, 'sending'::text, 'retry'::text]));

CREATE INDEX push_subscriptions_user ON public.push_subscriptions USING btree (user_id);

CREATE INDEX reports_open ON public.reports USING btree (id) WHERE (resolved_at IS NULL);

CREATE INDEX reports_reporter ON public.reports USING btree (reporter_id);

CREATE INDEX restore_drills_ran ON public.restore_drills USING btree (ran_at);

CREATE INDEX upload_claims_expired ON public.upload_claims USING btree (counted_until);

CREATE INDEX upload_claims_host ON public.upload_claims USING btree (host_id, counted_until) WHERE (host_id IS NOT NULL);

CREATE INDEX upload_claims_link ON public.upload_claims USING btree (link_id, counted_until) WHERE (link_id IS NOT NULL);

CREATE INDEX upload_claims_uploader ON public.upload_claims USING btree (uploader_id, counted_until);

CREATE INDEX users_email_lower ON public.users USING btree (lower((email)::text));

COMMENT ON INDEX public.users_email_lower IS 'Finds the user a token from the school''s OpenID Provider names
(OIDC_USER_CLAIM, compared to email without regard to case).';

ALTER TABLE ONLY public.attachments
    ADD CONSTRAINT attachments_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES public.chats(id);

ALTER TABLE ONLY public.attachments
    ADD CONSTRAINT attachments_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.messages(id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE ONLY public.attachments
    ADD CONSTRAINT attachments_uploader_id_fkey FOREIGN KEY (uploader_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.chat_memberships
    ADD CONSTRAINT chat_memberships_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES public.chats(id);

ALTER TABLE ONLY public.chat_memberships
    ADD CONSTRAINT chat_memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.chat_participants
    ADD CONSTRAINT chat_participants_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES public.chats(id);

ALTER TABLE ONLY public.chat_participants
    ADD CONSTRAINT chat_participants_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.chats
    ADD CONSTRAINT chats_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id);

ALTER TABLE ONLY public.chats
    ADD CONSTRAINT chats_student_id_fkey FOREIGN KEY (student_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.chats
    ADD CONSTRAINT chats_teacher_id_fkey FOREIGN KEY (teacher_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.inquiry_links
    ADD CONSTRAINT inquiry_links_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id);

ALTER TABLE ONLY public.inquiry_links
    ADD CONSTRAINT inquiry_links_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.lessons
    ADD CONSTRAINT lessons_student_id_fkey FOREIGN KEY (student_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.lessons
    ADD CONSTRAINT lessons_teacher_id_fkey FOREIGN KEY (teacher_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES public.chats(id);

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_deleted_by_fkey FOREIGN KEY (deleted_by) REFERENCES public.users(id);

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_hidden_by_fkey FOREIGN KEY (hidden_by) REFERENCES public.users(id);

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_reply_to_id_fkey FOREIGN KEY (reply_to_id) REFERENCES public.messages(id);

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES public.chats(id);

ALTER TABLE ONLY public.notices
    ADD CONSTRAINT notices_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.presence_streams
    ADD CONSTRAINT presence_streams_replica_id_fkey FOREIGN KEY (replica_id) REFERENCES public.presence_replicas(replica_id) ON DELETE CASCADE;

ALTER TABLE ONLY public.push_messages
    ADD CONSTRAINT push_messages_notice_id_fkey FOREIGN KEY (notice_id) REFERENCES public.notices(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.push_messages
    ADD CONSTRAINT push_messages_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES public.push_subscriptions(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.push_subscriptions
    ADD CONSTRAINT push_subscriptions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.reports
    ADD CONSTRAINT reports_chat_id_fkey FOREIGN KEY (chat_id) REFERENCES public.chats(id);

ALTER TABLE ONLY public.reports
    ADD CONSTRAINT reports_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.messages(id);

ALTER TABLE ONLY public.reports
    ADD CONSTRAINT reports_reporter_id_fkey FOREIGN KEY (reporter_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.reports
    ADD CONSTRAINT reports_resolved_by_fkey FOREIGN KEY (resolved_by) REFERENCES public.users(id);

ALTER TABLE ONLY public.upload_claims
    ADD CONSTRAINT upload_claims_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.upload_claims
    ADD CONSTRAINT upload_claims_link_id_fkey FOREIGN KEY (link_id) REFERENCES public.inquiry_links(id);

ALTER TABLE ONLY public.upload_claims
    ADD CONSTRAINT upload_claims_uploader_id_fkey FOREIGN KEY (uploader_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.user_presence
    ADD CONSTRAINT user_presence_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

GRANT USAGE ON SCHEMA public TO tutorchat_app;

GRANT SELECT,INSERT ON TABLE public.events TO tutorchat_app;

GRANT SELECT ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(chat_id) ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(uploader_id) ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(name) ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(content_type) ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(size) ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(sha256) ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(width) ON TABLE public.attachments TO tutorchat_app;

GRANT INSERT(height) ON TABLE public.attachments TO tutorchat_app;

GRANT USAGE ON SEQUENCE public.attachments_id_seq TO tutorchat_app;

GRANT SELECT,INSERT ON TABLE public.backups TO tutorchat_app;

GRANT SELECT ON TABLE public.chat_memberships TO tutorchat_app;

GRANT SELECT ON TABLE public.chat_participants TO tutorchat_app;

GRANT SELECT ON TABLE public.chats TO tutorchat_app;

GRANT USAGE ON SEQUENCE public.chats_id_seq TO tutorchat_app;

GRANT SELECT ON TABLE public.file_deletions TO tutorchat_app;

GRANT SELECT ON TABLE public.users TO tutorchat_app;

GRANT SELECT ON TABLE public.guest_sessions TO tutorchat_app;

GRANT SELECT,INSERT ON TABLE public.inquiry_links TO tutorchat_app;

GRANT UPDATE(revoked_at) ON TABLE public.inquiry_links TO tutorchat_app;

GRANT USAGE ON SEQUENCE public.inquiry_links_id_seq TO tutorchat_app;

GRANT SELECT ON TABLE public.lessons TO tutorchat_app;

GRANT UPDATE(status) ON TABLE public.lessons TO tutorchat_app;

GRANT SELECT ON TABLE public.messages TO tutorchat_app;

GRANT SELECT ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(message_id) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(count) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(preview) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(state) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(attempts) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(next_attempt_at) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(claimed_until) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(sent_at) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(settled_at) ON TABLE public.notices TO tutorchat_app;

GRANT UPDATE(last_error) ON TABLE public.notices TO tutorchat_app;

GRANT SELECT ON TABLE public.notify_settings TO tutorchat_app;

GRANT UPDATE(enabled) ON TABLE public.notify_settings TO tutorchat_app;

GRANT SELECT ON TABLE public.presence_replicas TO tutorchat_app;

GRANT SELECT ON TABLE public.presence_streams TO tutorchat_app;

GRANT SELECT,INSERT ON TABLE public.push_messages TO tutorchat_app;

GRANT UPDATE(state) ON TABLE public.push_messages TO tutorchat_app;

GRANT UPDATE(attempts) ON TABLE public.push_messages TO tutorchat_app;

GRANT UPDATE(next_attempt_at) ON TABLE public.push_messages TO tutorchat_app;

GRANT UPDATE(claimed_until) ON TABLE public.push_messages TO tutorchat_app;

GRANT UPDATE(settled_at) ON TABLE public.push_messages TO tutorchat_app;

GRANT UPDATE(last_error) ON TABLE public.push_messages TO tutorchat_app;

GRANT SELECT,INSERT,DELETE ON TABLE public.push_subscriptions TO tutorchat_app;

GRANT UPDATE(user_id) ON TABLE public.push_subscriptions TO tutorchat_app;

GRANT UPDATE(p256dh) ON TABLE public.push_subscriptions TO tutorchat_app;

GRANT UPDATE(auth) ON TABLE public.push_subscriptions TO tutorchat_app;

GRANT UPDATE(last_push_at) ON TABLE public.push_subscriptions TO tutorchat_app;

GRANT USAGE ON SEQUENCE public.push_subscriptions_id_seq TO tutorchat_app;

GRANT SELECT ON TABLE public.reports TO tutorchat_app;

GRANT SELECT,INSERT ON TABLE public.restore_drills TO tutorchat_app;

GRANT USAGE ON SEQUENCE public.restore_drills_id_seq TO tutorchat_app;

GRANT SELECT ON TABLE public.user_presence TO tutorchat_app;


--
--

GRANT SELECT ON refinery_schema_history TO tutorchat_app;

-- Offline notifications start switched off; every replica sets them as its configuration says at
-- start (notify::announce).
INSERT INTO public.notify_settings (only_row, enabled) VALUES (true, false);
