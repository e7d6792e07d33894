-- A school's own settings: what its admins changed of the deployment's defaults (the
-- environment variables), each change an event of the log by an admin
-- (school_settings_changed: the payload holds the settings it changed, a null value going back
-- to the deployment's default). school_settings is its read model, one row per school that
-- changed anything, kept by events_apply and rebuilt by audit_replay; the replicas keep it in
-- memory and follow the log's events of that type (src/school/settings.rs).
--
-- The type list is the whole of V47's and school_settings_changed, which names no chat (scope:
-- the school). Both constraints are added NOT VALID and validated after, which reads the log
-- without keeping appends waiting.

CREATE TABLE school_settings (
    school_id       bigint PRIMARY KEY DEFAULT 1 REFERENCES schools (id),
    name            text CHECK (char_length(name) BETWEEN 1 AND 100 AND name !~ '^\s|\s$'),
    time_zone       text,
    message_editing boolean,
    position        bigint NOT NULL
);

COMMENT ON TABLE school_settings IS 'What a school''s admins changed of the deployment''s defaults (a NULL column: the default, from the environment): name (SCHOOL_NAME), time_zone (SCHOOL_TIMEZONE), message_editing (MESSAGE_EDITING). position is the last school_settings_changed that changed the row. Kept from the log by events_apply, checked by audit_replay; read by every replica at start and after each such event (GET /api/school/settings).';

GRANT SELECT ON school_settings TO tutorchat_app;

ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'chat_created', 'message_created', 'message_deleted', 'message_edited', 'chat_read',
    'participant_added', 'participant_removed', 'chat_renamed', 'chat_closed', 'message_reported',
    'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported', 'user_suspended',
    'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked', 'guardian_unlinked',
    'message_flagged', 'report_cleared', 'closure_requested', 'closure_declined', 'chat_muted', 'chat_unmuted',
    'chat_archived', 'chat_unarchived', 'reaction_added', 'reaction_removed', 'message_pinned', 'message_unpinned',
    'user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated', 'chat_handed_over',
    'school_settings_changed')) NOT VALID;

ALTER TABLE events DROP CONSTRAINT events_scope;
ALTER TABLE events ADD CONSTRAINT events_scope CHECK ((chat_id IS NULL) = (type IN (
    'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased', 'guardian_linked',
    'guardian_unlinked', 'user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated',
    'school_settings_changed'))) NOT VALID;

ALTER TABLE events VALIDATE CONSTRAINT events_type_check;
ALTER TABLE events VALIDATE CONSTRAINT events_scope;
