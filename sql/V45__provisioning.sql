-- People provisioned by the school's own systems (SCIM from its identity provider, the
-- `tutorchat import` of its people): each person created, changed, deactivated or reactivated
-- by a provisioning client is an event of the log about that person (chat_id NULL, like
-- user_suspended), appended with no actor and the client's name in its payload (`client`), or
-- by an admin. users.external_id is the school's id of the person (SCIM's externalId), kept
-- from user_provisioned and user_changed; users.deactivated_at from user_deactivated and
-- user_reactivated; users.user_name (SCIM's userName) as external_id. All are rebuilt by
-- audit_replay.
--
-- provisioning_clients holds the systems that may provision (one bearer token each, its
-- SHA-256 only: the token itself is printed once by `tutorchat provisioning-client create` or
-- `rotate` and never stored). A credential, not a read model of the log: it has no events.

ALTER TABLE users ADD COLUMN external_id text;
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
ALTER TABLE users ADD CONSTRAINT users_external_id_length CHECK (char_length(external_id) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX users_external_id ON users (external_id);
ALTER TABLE users ADD COLUMN user_name text;
ALTER TABLE users ADD CONSTRAINT users_user_name_length CHECK (char_length(user_name) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX users_user_name ON users (lower(user_name));

COMMENT ON COLUMN users.external_id IS 'The school''s id of the person (SCIM externalId, the import''s id column), unique; NULL: none. Kept from user_provisioned and user_changed.';
COMMENT ON COLUMN users.user_name IS 'The person''s SCIM userName (unique in any case), set while a SCIM client manages them; NULL: not provisioned through SCIM (or deleted there, which deactivates them). Kept from user_provisioned and user_changed.';
COMMENT ON COLUMN users.deactivated_at IS 'Deactivated then (user_deactivated: the person left the school); NULL: active. Cleared by user_reactivated. Nothing of theirs is deleted.';

CREATE TABLE provisioning_clients (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
    scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['scim', 'lessons']),
    created_at   timestamptz NOT NULL DEFAULT now(),
    rotated_at   timestamptz,
    revoked_at   timestamptz
);

COMMENT ON TABLE provisioning_clients IS 'The school''s systems that provision people (scope scim) or lessons (scope lessons), each with one bearer token, of which only the SHA-256 is kept (a new one replaces it on rotation, rotated_at). Revoked (revoked_at): its token is refused. Managed by `tutorchat provisioning-client`; the replicas only read it.';

GRANT SELECT ON provisioning_clients TO tutorchat_app;

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared', 'closure_requested', 'closure_declined', 'chat_muted', 'chat_unmuted',
    'chat_archived', 'chat_unarchived', 'reaction_added', 'reaction_removed', 'message_pinned', 'message_unpinned',
    'user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated'));

ALTER TABLE events DROP CONSTRAINT events_scope;
ALTER TABLE events ADD CONSTRAINT events_scope CHECK ((chat_id IS NULL) = (type IN (
    'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked',
    'guardian_unlinked', 'user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated')));

-- SCIM Groups, as the school's directory pushes them (RFC 7643 §4.2): kept for the directory's
-- sake. A group whose display name SCIM_ROLE_GROUPS maps to a role gives its members that role
-- (a user_changed of the log, by the client); no other group means anything here, so neither
-- table is a read model of the log: like provisioning_clients, they are what the client said.
CREATE TABLE scim_groups (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 255),
    external_id  text CHECK (char_length(external_id) BETWEEN 1 AND 255),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (lower(display_name));
CREATE UNIQUE INDEX scim_groups_external_id ON scim_groups (external_id);

CREATE TABLE scim_group_members (
    group_id bigint NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    user_id  bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (user_id);

COMMENT ON TABLE scim_groups IS 'The SCIM Groups a provisioning client pushed (id, displayName, externalId); members in scim_group_members. A group whose display name SCIM_ROLE_GROUPS maps to a role gives its members that role, by user_changed events; the rest are kept for the directory and mean nothing here.';

GRANT SELECT, INSERT, UPDATE, DELETE ON scim_groups, scim_group_members TO tutorchat_app;
