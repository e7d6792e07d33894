CREATE OR REPLACE FUNCTION users_email_links_revoke() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.email_link_version := OLD.email_link_version + 1;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION users_email_links_revoke() IS 'A person''s address changed (the directory, an import, a sign-in): the unsubscribe links mailed to the old address stop working, since whoever reads that mailbox now is not them.';

CREATE OR REPLACE TRIGGER users_email_links_revoke BEFORE UPDATE OF email ON users FOR EACH ROW
    WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION users_email_links_revoke();
