CREATE OR REPLACE FUNCTION moderation_reason_valid(p_reason jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_typeof(p_reason) = 'string'
       AND char_length(p_reason #>> '{}') BETWEEN 1 AND 500
       AND (p_reason #>> '{}') ~ '[^[:space:]]'
$$;
