CREATE OR REPLACE FUNCTION announcement_families_join(p_guardian bigint, p_student bigint)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    joins record;
BEGIN
    -- By the owner (the announcement is their standing choice), as lessons_join_audiences adds
    -- students: events_rule_participant_added and events_member_rule check it.
    SELECT array_agg(j.chat_id ORDER BY j.chat_id, j.guardian_id) AS chat_ids,
           array_agg(j.owner ORDER BY j.chat_id, j.guardian_id) AS owners,
           array_agg(jsonb_build_object('user_id', j.guardian_id) ORDER BY j.chat_id, j.guardian_id) AS payloads
    INTO joins
    FROM (SELECT c.id AS chat_id, c.created_by AS owner, g.guardian_id
          FROM guardian_links g
          JOIN chats c ON c.recipients IN ('guardians', 'both') AND c.closed_at IS NULL
          WHERE g.student_id = p_student AND g.to_position IS NULL
            AND (p_guardian IS NULL OR g.guardian_id = p_guardian)
            -- The owner's student (events_member_rule's condition for a guardian), and of this
            -- announcement: all of the owner's students, or one it has as a member.
            AND EXISTS (SELECT 1 FROM lessons l WHERE l.teacher_id = c.created_by AND l.student_id = p_student
                                                  AND l.status = 'completed')
            AND (c.audience = 'my_students'
                 OR EXISTS (SELECT 1 FROM chat_participants p WHERE p.chat_id = c.id AND p.user_id = p_student))
            AND NOT EXISTS (SELECT 1 FROM chat_memberships m WHERE m.chat_id = c.id AND m.user_id = g.guardian_id)
            AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.created_by
                              AND (u.suspended_until > now() OR u.erasure_requested_at IS NOT NULL
                                   OR u.deactivated_at IS NOT NULL))
            AND EXISTS (SELECT 1 FROM users x WHERE x.id = g.guardian_id AND x.deactivated_at IS NULL)
          GROUP BY c.id, c.created_by, g.guardian_id) j;
    IF cardinality(joins.chat_ids) > 0 THEN
        PERFORM events_append(joins.chat_ids, joins.owners,
                              array_fill('participant_added'::text, ARRAY[cardinality(joins.chat_ids)]),
                              joins.payloads, array_fill(NULL::text, ARRAY[cardinality(joins.chat_ids)]));
    END IF;
END
$$;

COMMENT ON FUNCTION announcement_families_join(p_guardian bigint, p_student bigint) IS 'The guardians of student p_student (p_guardian, or all of them linked now when NULL) join the announcements that reach families (chats.recipients guardians or both, open) and concern the child, a student of its owner (a completed lesson together): the owner''s "all my students" announcement, or one the child is a member of; by a participant_added of the owner, unless they were ever a member (who left is not added back). Called by events_apply where a guardian is linked, and by lessons_join_audiences where a lesson completes. While the owner is suspended, deactivated or their erasure asked for, nobody joins (their appends are refused, and a link or a lesson must not be). It appends through events_append, inside the append of its reason or the lesson''s transaction: nobody else''s append waits for it.';

REVOKE ALL ON FUNCTION announcement_families_join(p_guardian bigint, p_student bigint) FROM PUBLIC;
