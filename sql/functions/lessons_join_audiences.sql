CREATE OR REPLACE FUNCTION lessons_join_audiences() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    chat_ids bigint[];
    owners bigint[];
BEGIN
    IF NEW.status <> 'completed'
       OR (TG_OP = 'UPDATE' AND OLD.status = 'completed') THEN
        RETURN NULL;
    END IF;
    -- By the owner (the audience is their standing choice): events_rule_participant_added and
    -- events_member_rule check it as for any other member they add.
    SELECT array_agg(c.id ORDER BY c.id), array_agg(c.created_by ORDER BY c.id) INTO chat_ids, owners
    FROM chats c
    WHERE c.created_by = NEW.teacher_id AND c.audience = 'my_students' AND c.closed_at IS NULL
      AND c.recipients <> 'guardians'
      AND NOT EXISTS (SELECT 1 FROM chat_memberships m WHERE m.chat_id = c.id AND m.user_id = NEW.student_id)
      AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.created_by
                        AND (u.suspended_until > now() OR u.erasure_requested_at IS NOT NULL
                             OR u.deactivated_at IS NOT NULL))
      AND EXISTS (SELECT 1 FROM users s WHERE s.id = NEW.student_id AND s.role = 'student' AND s.deactivated_at IS NULL);
    IF cardinality(chat_ids) > 0 THEN
        PERFORM events_append(chat_ids, owners, array_fill('participant_added'::text, ARRAY[cardinality(chat_ids)]),
                              array_fill(jsonb_build_object('user_id', NEW.student_id), ARRAY[cardinality(chat_ids)]),
                              array_fill(NULL::text, ARRAY[cardinality(chat_ids)]));
    END IF;
    -- The student's guardians, where the announcement reaches families.
    PERFORM announcement_families_join(NULL, NEW.student_id);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION lessons_join_audiences() IS 'A lesson completed: its student joins each of its teacher''s "all my students" announcements (chats.audience = my_students, open; not one that reaches guardians only) they were never a member of, and their guardians those that reach families (announcement_families_join), by a participant_added of the owner, in the completion''s transaction. A student who left one, or whom the owner removed, is not added back by a later lesson (their leaving is their choice, and the owner''s removal theirs); nobody leaves when lessons end (a completed lesson stays completed). A student who left the school (deactivated) joins none (events_rule_participant_added refuses them). While the owner is suspended, deactivated (left the school) or their erasure asked for, nobody joins: their appends are refused, and a lesson''s completion must not be.';

REVOKE ALL ON FUNCTION lessons_join_audiences() FROM PUBLIC;

CREATE OR REPLACE TRIGGER lessons_join_audiences AFTER INSERT OR UPDATE OF status ON lessons FOR EACH ROW EXECUTE FUNCTION lessons_join_audiences();
