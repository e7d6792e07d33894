CREATE OR REPLACE FUNCTION search_query(q text, prefix boolean) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN numnode(w) = 0 OR NOT prefix THEN w
                ELSE regexp_replace(w::text, '(''(?:[^'']|'''')*'')', '\1:*', 'g')::tsquery END
    FROM websearch_to_tsquery('russian'::regconfig, q) w
$$;

COMMENT ON FUNCTION search_query(q text, prefix boolean) IS 'A search box''s text as a tsquery of the russian configuration: websearch syntax, whole words, or (prefix) every word a prefix.';

GRANT ALL ON FUNCTION search_query(q text, prefix boolean) TO tutorchat_app;
