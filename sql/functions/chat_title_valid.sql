CREATE OR REPLACE FUNCTION chat_title_valid(p_title jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_typeof(p_title) = 'string'
       AND char_length(p_title #>> '{}') BETWEEN 1 AND 200
       AND (p_title #>> '{}') ~ '[^[:space:]]'
       -- One line: no control character (line breaks, tabs, …), no line or paragraph separator.
       AND (p_title #>> '{}') !~ '[\x01-\x1f\x7f-\x9f\u2028\u2029]'
$$;
