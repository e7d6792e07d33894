-- The school a statement runs for, and the wall that keeps every school's rows apart.

-- SQL of one expression and no subquery, so the planner inlines it where it is called (every
-- policy's InitPlan, every default): builtins only while the setting is set (a PL/pgSQL call
-- cost ~0.4 µs more a statement), the lookup only when it is not.
CREATE OR REPLACE FUNCTION current_school() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(current_setting('tutorchat.school', true), '')::bigint, only_school())
$$;

COMMENT ON FUNCTION current_school() IS 'The school this session or transaction is in: the setting tutorchat.school (SET LOCAL tutorchat.school = ''2'' in a transaction, or set for the session: each replica''s sessions are in the school it serves), or, while the deployment has exactly one school, that school, so that a one-school deployment and whoever reads it with psql work as before schools. NULL otherwise: a session of a deployment with several schools that names none sees no row of any school and can write none. Every table a school owns takes it as its school_id''s default and is walled by a policy school_wall (row-level security, FORCEd so the tables'' owner obeys it; only a superuser or a BYPASSRLS role reads across schools), written (SELECT current_school()) so that it is evaluated once per statement.';

GRANT EXECUTE ON FUNCTION current_school() TO tutorchat_app;

ALTER TABLE access_records ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE access_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_records FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON access_records;
CREATE POLICY school_wall ON access_records USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE attachments ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachments FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON attachments;
CREATE POLICY school_wall ON attachments USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE chat_memberships ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE chat_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_memberships FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON chat_memberships;
CREATE POLICY school_wall ON chat_memberships USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE chat_participants ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE chat_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_participants FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON chat_participants;
CREATE POLICY school_wall ON chat_participants USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE chat_pins ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE chat_pins ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_pins FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON chat_pins;
CREATE POLICY school_wall ON chat_pins USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE chats ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE chats ENABLE ROW LEVEL SECURITY;
ALTER TABLE chats FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON chats;
CREATE POLICY school_wall ON chats USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE closure_requests ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE closure_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE closure_requests FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON closure_requests;
CREATE POLICY school_wall ON closure_requests USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE emails ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE emails ENABLE ROW LEVEL SECURITY;
ALTER TABLE emails FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON emails;
CREATE POLICY school_wall ON emails USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE events ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON events;
CREATE POLICY school_wall ON events USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE flag_terms ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE flag_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE flag_terms FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON flag_terms;
CREATE POLICY school_wall ON flag_terms USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE guardian_links ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE guardian_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE guardian_links FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON guardian_links;
CREATE POLICY school_wall ON guardian_links USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE guest_addresses ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE guest_addresses ENABLE ROW LEVEL SECURITY;
ALTER TABLE guest_addresses FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON guest_addresses;
CREATE POLICY school_wall ON guest_addresses USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE held_messages ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE held_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE held_messages FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON held_messages;
CREATE POLICY school_wall ON held_messages USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE inquiry_blocks ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE inquiry_blocks ENABLE ROW LEVEL SECURITY;
ALTER TABLE inquiry_blocks FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON inquiry_blocks;
CREATE POLICY school_wall ON inquiry_blocks USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE inquiry_links ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE inquiry_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE inquiry_links FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON inquiry_links;
CREATE POLICY school_wall ON inquiry_links USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE lessons ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE lessons ENABLE ROW LEVEL SECURITY;
ALTER TABLE lessons FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON lessons;
CREATE POLICY school_wall ON lessons USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE marketplace_chats ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE marketplace_chats ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketplace_chats FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON marketplace_chats;
CREATE POLICY school_wall ON marketplace_chats USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE message_mentions ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE message_mentions ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_mentions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON message_mentions;
CREATE POLICY school_wall ON message_mentions USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE message_reactions ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE message_reactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_reactions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON message_reactions;
CREATE POLICY school_wall ON message_reactions USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE messages ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON messages;
CREATE POLICY school_wall ON messages USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE notices ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE notices FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON notices;
CREATE POLICY school_wall ON notices USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE presence_streams ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE presence_streams ENABLE ROW LEVEL SECURITY;
ALTER TABLE presence_streams FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON presence_streams;
CREATE POLICY school_wall ON presence_streams USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE provisioning_clients ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE provisioning_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE provisioning_clients FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON provisioning_clients;
CREATE POLICY school_wall ON provisioning_clients USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE push_messages ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE push_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE push_messages FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON push_messages;
CREATE POLICY school_wall ON push_messages USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE push_subscriptions ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE push_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE push_subscriptions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON push_subscriptions;
CREATE POLICY school_wall ON push_subscriptions USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE reports ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE reports FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON reports;
CREATE POLICY school_wall ON reports USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE scheduled_messages ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE scheduled_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE scheduled_messages FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON scheduled_messages;
CREATE POLICY school_wall ON scheduled_messages USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE scim_group_members ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE scim_group_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_group_members FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON scim_group_members;
CREATE POLICY school_wall ON scim_group_members USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE scim_groups ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE scim_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_groups FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON scim_groups;
CREATE POLICY school_wall ON scim_groups USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE school_settings ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE school_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE school_settings FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON school_settings;
CREATE POLICY school_wall ON school_settings USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE sessions ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON sessions;
CREATE POLICY school_wall ON sessions USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE stream_tickets ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE stream_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE stream_tickets FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON stream_tickets;
CREATE POLICY school_wall ON stream_tickets USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE upload_claims ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE upload_claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload_claims FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON upload_claims;
CREATE POLICY school_wall ON upload_claims USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE user_presence ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE user_presence ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_presence FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON user_presence;
CREATE POLICY school_wall ON user_presence USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

ALTER TABLE users ALTER COLUMN school_id SET DEFAULT current_school();
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS school_wall ON users;
CREATE POLICY school_wall ON users USING (school_id = (SELECT current_school())) WITH CHECK (school_id = (SELECT current_school()));

