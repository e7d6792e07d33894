CREATE OR REPLACE FUNCTION chat_title_valid(p_title jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_typeof(p_title) = 'string'
       AND char_length(p_title #>> '{}') BETWEEN 1 AND 200
       AND (p_title #>> '{}') ~ '[^[:space:]]'
$$;
