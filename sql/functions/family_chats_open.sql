CREATE OR REPLACE FUNCTION family_chats_open(p_guardian bigint, p_student bigint)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    pair record;
    violated text;
BEGIN
    FOR pair IN
        SELECT g.guardian_id, d.teacher_id
        FROM guardian_links g
        JOIN chats d ON d.student_id = g.student_id AND d.kind = 'direct'
        WHERE g.student_id = p_student AND g.to_position IS NULL
          AND (p_guardian IS NULL OR g.guardian_id = p_guardian)
          AND NOT EXISTS (SELECT 1 FROM chats f WHERE f.guardian_id = g.guardian_id AND f.teacher_id = d.teacher_id)
        ORDER BY 1, 2
    LOOP
        BEGIN
            PERFORM events_append(ARRAY[nextval('chats_id_seq')], ARRAY[NULL::bigint], ARRAY['chat_created'],
                                  ARRAY[jsonb_build_object('kind', 'family', 'guardian_id', pair.guardian_id,
                                                           'teacher_id', pair.teacher_id)],
                                  ARRAY[NULL::text]);
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS violated = CONSTRAINT_NAME;
            IF violated IS DISTINCT FROM 'chats_one_per_family' THEN
                RAISE;
            END IF;
            -- A concurrent opening of the same pair committed the chat first.
        END;
    END LOOP;
END
$$;

COMMENT ON FUNCTION family_chats_open(p_guardian bigint, p_student bigint) IS 'Opens the family chats student p_student gives a reason for: one chat_created {kind: family, guardian_id, teacher_id} per guardian linked to them now (p_guardian, or all of them when NULL) and teacher of a direct chat of theirs, unless the pair has a family chat (chats_one_per_family decides races). Called by events_apply, where a direct chat opens (every guardian of its student) and where a guardian is linked (that guardian): the chat opens in the transaction of its reason. It appends through events_append, inside the append of its reason: it waits for the appends drawn before it, as any second append of a transaction does, and nobody else''s append waits for it.';

REVOKE ALL ON FUNCTION family_chats_open(p_guardian bigint, p_student bigint) FROM PUBLIC;
