CREATE OR REPLACE FUNCTION announcement_families_leave(p_guardian bigint)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    chat_ids bigint[];
BEGIN
    -- By the database (no actor): a link ended, whatever the owner's state.
    SELECT array_agg(p.chat_id ORDER BY p.chat_id) INTO chat_ids
    FROM chat_participants p
    JOIN chats c ON c.id = p.chat_id AND c.recipients IN ('guardians', 'both')
    WHERE p.user_id = p_guardian
      AND NOT EXISTS (SELECT 1 FROM guardian_links g
                      JOIN users s ON s.id = g.student_id AND s.deactivated_at IS NULL
                      JOIN lessons l ON l.student_id = g.student_id AND l.teacher_id = c.created_by
                                    AND l.status = 'completed'
                      WHERE g.guardian_id = p_guardian AND g.to_position IS NULL);
    IF cardinality(chat_ids) > 0 THEN
        PERFORM events_append(chat_ids, array_fill(NULL::bigint, ARRAY[cardinality(chat_ids)]),
                              array_fill('participant_removed'::text, ARRAY[cardinality(chat_ids)]),
                              array_fill(jsonb_build_object('user_id', p_guardian), ARRAY[cardinality(chat_ids)]),
                              array_fill(NULL::text, ARRAY[cardinality(chat_ids)]));
    END IF;
END
$$;

COMMENT ON FUNCTION announcement_families_leave(p_guardian bigint) IS 'Guardian p_guardian leaves each announcement that reaches families (chats.recipients guardians or both) once none of the children they are linked to now, still at the school, has completed a lesson with its owner: a participant_removed without an actor (events_require_group_manager lets the database remove a guardian so). Called by events_apply where a link ends and where a linked student is deactivated.';

REVOKE ALL ON FUNCTION announcement_families_leave(p_guardian bigint) FROM PUBLIC;
