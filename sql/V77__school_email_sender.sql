-- A school's own sender name for its emails (SMTP_FROM's display name by default): the name
-- only, the address stays the deployment's (the mail server's domain signs for it); NULL keeps
-- the deployment's.

ALTER TABLE school_settings ADD COLUMN email_sender text
    CHECK (char_length(email_sender) BETWEEN 1 AND 100 AND email_sender !~ '^\s|\s$|[[:cntrl:]]');

COMMENT ON COLUMN school_settings.email_sender IS 'The name the school''s emails come from (SMTP_FROM''s display name by default; the address stays SMTP_FROM''s): 1-100 characters, no space around them, no control character; NULL for the deployment''s.';
