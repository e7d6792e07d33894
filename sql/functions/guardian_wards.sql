CREATE OR REPLACE FUNCTION guardian_wards(p_guardian bigint) RETURNS TABLE (student_id bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT l.student_id FROM guardian_links l WHERE l.guardian_id = p_guardian AND l.to_position IS NULL
$$;

COMMENT ON FUNCTION guardian_wards(p_guardian bigint) IS 'The students p_guardian is a guardian of now (their links not ended): the directory''s guardianOf, as a SCIM filter reads it (src/scim/query.rs; who may read what is decided in src/access/, not here). Set-returning so that PostgreSQL expands it into the calling statement (EXISTS (SELECT 1 FROM guardian_wards(u.id) l …)).';
