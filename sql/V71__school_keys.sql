-- A school's own names are unique within the school, not across the deployment. A uniqueness
-- check is not filtered by row-level security: with a key unique over every school, a person
-- created in one school with another school's email (a user name, an external id, a flag term,
-- a link's token) was refused for a row the creator cannot see, which told them it exists.
-- Each key now leads with school_id, under the same name (the application reports a clash by
-- the constraint's name), and a walled lookup (`school_id = current_school() AND …`) uses it.
--
-- Keys made of ids (a chat's pair, an idempotency key per sender, a notice's email) are unique
-- already, as the ids are; so are the random ones nobody chooses (a provisioning client's token
-- hash, a session id).

ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (school_id, email);
DROP INDEX users_external_id;
CREATE UNIQUE INDEX users_external_id ON users (school_id, external_id);
DROP INDEX users_user_name;
CREATE UNIQUE INDEX users_user_name ON users (school_id, lower(user_name));

DROP INDEX lessons_external_id;
CREATE UNIQUE INDEX lessons_external_id ON lessons (school_id, external_id) WHERE external_id IS NOT NULL;

DROP INDEX scim_groups_display_name;
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (school_id, lower(display_name));
DROP INDEX scim_groups_external_id;
CREATE UNIQUE INDEX scim_groups_external_id ON scim_groups (school_id, external_id);

ALTER TABLE flag_terms DROP CONSTRAINT flag_terms_term_key;
ALTER TABLE flag_terms ADD CONSTRAINT flag_terms_term_key UNIQUE (school_id, term);

ALTER TABLE provisioning_clients DROP CONSTRAINT provisioning_clients_name_key;
ALTER TABLE provisioning_clients ADD CONSTRAINT provisioning_clients_name_key UNIQUE (school_id, name);

ALTER TABLE inquiry_links DROP CONSTRAINT inquiry_links_token_key;
ALTER TABLE inquiry_links ADD CONSTRAINT inquiry_links_token_key UNIQUE (school_id, token);

ALTER TABLE push_subscriptions DROP CONSTRAINT push_subscriptions_endpoint_key;
ALTER TABLE push_subscriptions ADD CONSTRAINT push_subscriptions_endpoint_key UNIQUE (school_id, endpoint);
