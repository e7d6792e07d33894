-- Stream tickets: what a page on another site opens the live stream with, where EventSource
-- can send neither a header nor (across sites) the session cookie: `GET /api/events/chat?token=`
-- a ticket from `POST /api/events/ticket`. A ticket lives a minute and opens one stream: it is
-- kept here (its SHA-256, never the ticket) until it is used or expires, on the primary, so any
-- replica redeems it exactly once. UNLOGGED, as presence: a crash or a failover forgets them,
-- and the page asks for another.

CREATE UNLOGGED TABLE stream_tickets (
    hash               bytea PRIMARY KEY,
    user_id            bigint NOT NULL,
    session_expires_at bigint NOT NULL,
    expires_at         timestamptz NOT NULL
);

COMMENT ON TABLE stream_tickets IS 'Single-use stream tickets (POST /api/events/ticket): the SHA-256 of each, whose stream it opens (user_id, and when that person''s session ends, in seconds since the epoch: the stream ends then too), until when it may be used. Written and deleted only through stream_ticket_issue and stream_ticket_redeem.';

CREATE INDEX idx_stream_tickets_expires ON stream_tickets (expires_at);
