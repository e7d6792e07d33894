-- People provisioned by the school's own systems (SCIM from its identity provider, the
-- `tutorchat import` of its people): each person created, changed, deactivated or reactivated
-- by a provisioning client is an event of the log about that person (chat_id NULL, like
-- user_suspended), appended with no actor and the client's name in its payload (`client`), or
-- by an admin. users.external_id is the school's id of the person (SCIM's externalId), kept
-- from user_provisioned and user_changed; users.deactivated_at from user_deactivated and
-- user_reactivated. Both are rebuilt by audit_replay.
--
-- provisioning_clients holds the systems that may provision (one bearer token each, its
-- SHA-256 only: the token itself is printed once by `tutorchat provisioning-client create` or
-- `rotate` and never stored). A credential, not a read model of the log: it has no events.

ALTER TABLE users ADD COLUMN external_id text;
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
ALTER TABLE users ADD CONSTRAINT users_external_id_length CHECK (char_length(external_id) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX users_external_id ON users (external_id);

COMMENT ON COLUMN users.external_id IS 'The school''s id of the person (SCIM externalId, the import''s id column), unique; NULL: none. Kept from user_provisioned and user_changed.';
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
