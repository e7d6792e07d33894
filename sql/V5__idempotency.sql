-- Retry-safe writes: a request may carry an idempotency key, recorded with the event it
-- appended. A retried request (its answer was lost: a replica killed mid-request, a 502 on a
-- closing connection) finds the event its key names and answers with it instead of appending
-- a second one, on any replica and after any restart.
--
-- Rule: one event per (actor, key). The unique index below enforces it for concurrent
-- retries; the application looks the key up first, so the index only decides races.
-- Adding a nullable column rewrites nothing: the log's rows stay as they were.

ALTER TABLE events ADD COLUMN idempotency_key text
    CONSTRAINT events_idempotency_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 64);

CREATE UNIQUE INDEX events_idempotency ON events (actor_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
