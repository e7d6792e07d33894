-- An unsubscribe link names its person and the version of their links it was made at: a link
-- works while the person's version is still that one. Changing the address moves it on
-- (functions/users_email_links_revoke.sql), so that links mailed to an address the person no
-- longer has stop working; an operator revokes every link of a person with
-- `UPDATE users SET email_link_version = email_link_version + 1 WHERE id = …`.

ALTER TABLE users ADD COLUMN email_link_version integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN users.email_link_version IS 'The version of the person''s unsubscribe links: a link made at another version is refused. Moves on when their address changes; an operator may move it to revoke every link already mailed.';

-- What one person receives is capped (src/outbox/email.rs): at most a few instant emails an
-- hour, and one about new inquiries; the rest are `folded` into the person's next digest, due
-- when the hour frees a place. `inquiry` marks an instant email about an inquiry chat.
ALTER TABLE emails ADD COLUMN inquiry boolean NOT NULL DEFAULT false;
ALTER TABLE emails ADD COLUMN placed_at timestamptz;
ALTER TABLE emails DROP CONSTRAINT emails_state_check;
ALTER TABLE emails ADD CONSTRAINT emails_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'cancelled', 'failed', 'folded'));
CREATE INDEX emails_placed ON emails (user_id, placed_at) WHERE placed_at IS NOT NULL;

COMMENT ON COLUMN emails.placed_at IS 'When an instant email took one of its person''s places of the hour (it is sent, or being sent): the places an hour are counted from these.';
COMMENT ON COLUMN emails.inquiry IS 'An instant email about an inquiry chat: at most one such is sent to a person an hour, the others folded into their digest.';
COMMENT ON TABLE emails IS 'The emails to send (src/outbox/email.rs): instant, one per notice of a person whose choice is instant, due NOTIFY_EMAIL_AFTER_SECS after its message; digest, one pending per person whose choice is digest, due at NOTIFY_EMAIL_DIGEST_AT, or whose instant emails were folded (due when their hour frees a place). Claimed like the notices (a lease, FOR UPDATE SKIP LOCKED); judged when sent: cancelled when the person has been online since, has read it, left the school or chose none; postponed to the end of their quiet hours; folded into the digest past the hour''s cap (state folded).';
