CREATE OR REPLACE FUNCTION search_query(q text, prefix boolean) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    -- As prefixes: every word of 3 letters or more (the second replacement takes the mark off
    -- shorter ones: a lexeme is never adjacent to another, so it cannot match across two),
    -- and only in a query of at most 4 words. A prefix gathers every message of the school
    -- with a word it begins: "п or с or н" would be most of the index, for each chat looked up.
    SELECT CASE WHEN numnode(w) = 0 OR NOT prefix
                     OR (SELECT count(*) FROM regexp_matches(w::text, '''(?:[^'']|'''')*''', 'g')) > 4 THEN w
                ELSE regexp_replace(regexp_replace(w::text, '(''(?:[^'']|'''')*'')', '\1:*', 'g'),
                                    '(''(?:[^'']|''''){1,2}''):\*', '\1', 'g')::tsquery END
    FROM websearch_to_tsquery('russian'::regconfig, q) w
$$;

COMMENT ON FUNCTION search_query(q text, prefix boolean) IS 'A search box''s text as a tsquery of the russian configuration: websearch syntax, whole words, or (prefix) each word of 3 letters or more a prefix, in a query of at most 4 words (a longer one: whole words).';

GRANT ALL ON FUNCTION search_query(q text, prefix boolean) TO tutorchat_app;
