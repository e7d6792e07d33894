-- Schools. A deployment serves schools; everything a school owns carries its school_id, and
-- row-level security (FORCEd, so the tables' owner obeys it too) lets a statement see and write
-- only the rows of the school its session is in (`current_school()`, sql/functions/
-- current_school.sql, holds the policies and the columns' defaults). The rows a deployment had
-- before schools become the first school's: the column is added with DEFAULT 1 (no rewrite, and
-- what an older replica inserts during an upgrade goes to the one school there is), and the
-- function file then makes the default the session's school.
--
-- The log and the messages do not check the reference per row (as for their other foreign keys,
-- V48): a row takes the school of the session that wrote it, which the policy checks.
--
-- The deployment's own tables hold no school: the schema's record (schema_functions), the
-- log's floor and the cursors that follow the log for every school (log_floor, flag_cursor,
-- notices_fanned_out), the replicas' heartbeats (presence_replicas), backups and restore drills, content-addressed file deletions, spent
-- sign-in states and revoked session ids (random, never shared). The settings tables
-- (safeguarding_settings, notify_settings) stay the deployment's until settings move to schools.

CREATE TABLE schools (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    suspended_at timestamptz
);

COMMENT ON TABLE schools IS 'The schools this deployment serves. Every table a school owns has school_id and a row-level security policy (school_wall) that shows and takes only the rows of current_school(). slug names the school where a name must be short and stable (its host name, its exports); suspended_at is set while an operator has suspended it.';

INSERT INTO schools (slug) VALUES ('school');

GRANT SELECT ON schools TO tutorchat_app;

ALTER TABLE access_records ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE attachments ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE chat_memberships ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE chat_participants ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE chat_pins ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE chats ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE closure_requests ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE emails ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE events ADD COLUMN school_id bigint NOT NULL DEFAULT 1;
ALTER TABLE flag_terms ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE guardian_links ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE guest_addresses ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE held_messages ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE inquiry_blocks ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE inquiry_links ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE lessons ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE marketplace_chats ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE message_mentions ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE message_reactions ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE messages ADD COLUMN school_id bigint NOT NULL DEFAULT 1;
ALTER TABLE notices ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE presence_streams ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE provisioning_clients ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE push_messages ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE push_subscriptions ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE reports ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE scheduled_messages ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE scim_group_members ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE scim_groups ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE sessions ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE stream_tickets ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE upload_claims ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE user_presence ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);
ALTER TABLE users ADD COLUMN school_id bigint NOT NULL DEFAULT 1 REFERENCES schools (id);

-- The views read as whoever queries them, so that the wall holds through them whoever owns them
-- (a view otherwise reads its tables with its owner's rights, and a superuser owner is not walled).
ALTER VIEW accounts SET (security_invoker = true);
ALTER VIEW family_children SET (security_invoker = true);
ALTER VIEW chat_headers SET (security_invoker = true);
ALTER VIEW closure_request_views SET (security_invoker = true);
ALTER VIEW guest_sessions SET (security_invoker = true);
ALTER VIEW reply_previews SET (security_invoker = true);
ALTER VIEW message_bodies SET (security_invoker = true);
ALTER VIEW message_views SET (security_invoker = true);
ALTER VIEW report_views SET (security_invoker = true);
