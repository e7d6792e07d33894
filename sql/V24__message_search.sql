-- Full-text search over messages, in Russian and English, in PostgreSQL alone (docs/search.md).
--
-- * The document is a generated column: `to_tsvector('russian', content)`. PostgreSQL's
--   `russian` configuration stems Cyrillic words with the Russian Snowball stemmer (which also
--   folds ё into е) and Latin words with the English one, so one vector serves both
--   languages: "учебниками" is stored as 'учебник', "books" as 'book'. Being generated, it
--   changes in the same statement as the text: an edit replaces it, a purge (which blanks the
--   text) empties it. Nothing else has to keep it in step.
-- * The index holds searchable messages only: a deleted, hidden or purged message leaves it
--   in the statement that deletes, hides or purges it (its new row version is not indexed),
--   and unhiding puts it back. Its first column is the chat, so a participant's search looks
--   up each of their chats in the index (btree_gin) and an admin's uses the words alone.
-- * Typos and partial words of short queries are matched by trigram similarity (pg_trgm)
--   over the text itself, not over a separate list of words, so no copy of any word outlives
--   its message.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE messages
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('russian'::regconfig, content)) STORED;
COMMENT ON COLUMN messages.search IS 'The text as words for full-text search (the russian configuration: Russian and English stems), kept by PostgreSQL from content: edits and purges change it in the same statement.';

CREATE INDEX messages_search ON messages USING gin (chat_id, search)
    WHERE NOT is_deleted AND hidden_at IS NULL AND purged_at IS NULL;
COMMENT ON INDEX messages_search IS 'Searchable messages only (not deleted, hidden or purged), by chat then word.';

-- The user's query as a tsquery: websearch syntax ("quoted phrases", or, -word), with `prefix`
-- each word matched as the beginning of a stored word ('учеб' finds 'учебник'). Empty when the
-- query has no words but stop words. The server searches by whole words first, by prefixes only
-- when whole words find less than a page: for a prefix the index gathers every word it begins
-- (for a common word, hundreds of thousands of entries) at each chat it looks up.
CREATE FUNCTION search_query(q text, prefix boolean) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN numnode(w) = 0 OR NOT prefix THEN w
                ELSE regexp_replace(w::text, '(''(?:[^'']|'''')*'')', '\1:*', 'g')::tsquery END
    FROM websearch_to_tsquery('russian'::regconfig, q) w
$$;
COMMENT ON FUNCTION search_query(text, boolean) IS 'A search box''s text as a tsquery of the russian configuration: websearch syntax, whole words, or (prefix) every word a prefix.';

GRANT EXECUTE ON FUNCTION search_query(text, boolean) TO tutorchat_app;
