CREATE OR REPLACE FUNCTION events_rule_chat_created(e events) RETURNS events
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    link record;
BEGIN
    IF e.payload ->> 'kind' = 'group' THEN
        IF NOT EXISTS (SELECT 1 FROM users WHERE id = e.actor_id AND role IN ('teacher', 'admin')) THEN
            RAISE EXCEPTION 'only a teacher or an admin may create a group'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT chat_title_valid(e.payload -> 'title') THEN
            RAISE EXCEPTION 'a group needs a title of 1 to 200 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        IF e.payload ? 'context' AND jsonb_typeof(e.payload -> 'context') NOT IN ('object', 'null') THEN
            RAISE EXCEPTION 'a group''s context must be an object'
                USING ERRCODE = 'check_violation';
        END IF;
        IF e.payload ? 'announcement' AND jsonb_typeof(e.payload -> 'announcement') <> 'boolean'
           OR e.payload ? 'audience' AND e.payload -> 'audience' NOT IN ('null', '"my_students"')
           OR e.payload ->> 'audience' = 'my_students' AND e.payload -> 'announcement' IS DISTINCT FROM 'true'
           OR e.payload ? 'recipients' AND (e.payload -> 'recipients' NOT IN ('"students"', '"guardians"', '"both"')
                                            OR e.payload -> 'announcement' IS DISTINCT FROM 'true') THEN
            RAISE EXCEPTION 'announcement is a boolean; audience is my_students (of an announcement) or null; recipients students, guardians or both (of an announcement)'
                USING ERRCODE = 'check_violation';
        END IF;
        -- Only the owner posts in an announcement, and admins never write: a teacher's.
        IF e.payload -> 'announcement' = 'true'
           AND NOT EXISTS (SELECT 1 FROM users WHERE id = e.actor_id AND role = 'teacher') THEN
            RAISE EXCEPTION 'only a teacher may create an announcement: its owner is its only writer, and admins write nothing'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        e.payload := jsonb_build_object('kind', 'group', 'title', e.payload -> 'title')
            || CASE WHEN jsonb_typeof(e.payload -> 'context') = 'object'
                    THEN jsonb_build_object('context', e.payload -> 'context') ELSE '{}' END
            || CASE WHEN e.payload -> 'announcement' = 'true'
                    THEN jsonb_build_object('announcement', true) ELSE '{}' END
            || CASE WHEN e.payload ->> 'audience' = 'my_students'
                    THEN jsonb_build_object('audience', 'my_students') ELSE '{}' END
            || CASE WHEN e.payload ->> 'recipients' IN ('guardians', 'both')
                    THEN jsonb_build_object('recipients', e.payload -> 'recipients') ELSE '{}' END;
    ELSIF e.payload ->> 'kind' = 'inquiry' THEN
        -- Through inquiry_open(): a live link of this host, a guest without a chat.
        IF e.actor_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM inquiry_links l
            JOIN users h ON h.id = l.host_id AND h.role = 'teacher'
            JOIN users g ON g.id = e.actor_id AND g.role = 'guest'
            WHERE l.id = CASE WHEN jsonb_typeof(e.payload -> 'link_id') = 'number'
                              THEN (e.payload ->> 'link_id')::bigint END
              AND l.revoked_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM chat_participants p WHERE p.user_id = g.id)) THEN
            RAISE EXCEPTION 'an inquiry chat is opened by a new guest through a live inquiry link'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT l.id, l.host_id, l.title, l.context INTO link FROM inquiry_links l
        WHERE l.id = (e.payload ->> 'link_id')::bigint;
        e.payload := jsonb_build_object('kind', 'inquiry', 'title', link.title, 'link_id', link.id,
                                        'host_id', link.host_id, 'guest_id', e.actor_id)
            || CASE WHEN link.context IS NOT NULL THEN jsonb_build_object('context', link.context) ELSE '{}' END;
    ELSIF e.payload ->> 'kind' = 'family' THEN
        -- Only the database opens one (family_chats_open, at trigger depth 2 or more, no actor),
        -- for a guardian and a teacher whose pair concerns a child now.
        IF pg_trigger_depth() < 2 OR e.actor_id IS NOT NULL
           OR jsonb_typeof(e.payload -> 'guardian_id') IS DISTINCT FROM 'number'
           OR jsonb_typeof(e.payload -> 'teacher_id') IS DISTINCT FROM 'number'
           OR NOT EXISTS (SELECT 1 FROM users g WHERE g.id = (e.payload ->> 'guardian_id')::bigint AND g.role = 'guardian')
           OR NOT EXISTS (SELECT 1 FROM users t WHERE t.id = (e.payload ->> 'teacher_id')::bigint AND t.role = 'teacher')
           OR NOT EXISTS (SELECT 1 FROM family_children f WHERE f.guardian_id = (e.payload ->> 'guardian_id')::bigint
                                                            AND f.teacher_id = (e.payload ->> 'teacher_id')::bigint) THEN
            RAISE EXCEPTION 'a family chat is opened only by the database, for a guardian linked to a child who has a chat with the teacher'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        e.payload := jsonb_build_object('kind', 'family', 'guardian_id', (e.payload ->> 'guardian_id')::bigint,
                                        'teacher_id', (e.payload ->> 'teacher_id')::bigint);
    ELSE
        IF jsonb_typeof(e.payload -> 'student_id') IS DISTINCT FROM 'number'
           OR jsonb_typeof(e.payload -> 'teacher_id') IS DISTINCT FROM 'number' THEN
            RAISE EXCEPTION 'chat_created needs numeric payload fields student_id and teacher_id'
                USING ERRCODE = 'check_violation';
        END IF;
        -- Only the lesson trigger opens a direct chat (it appends at trigger depth 2, a direct
        -- INSERT is at depth 1), for the completed lesson its payload names, of a student and a
        -- teacher.
        IF pg_trigger_depth() < 2 OR e.actor_id IS NOT NULL OR NOT EXISTS (
            SELECT 1 FROM lessons l
            JOIN users s ON s.id = l.student_id AND s.role = 'student'
            JOIN users t ON t.id = l.teacher_id AND t.role = 'teacher'
            WHERE l.id = CASE WHEN jsonb_typeof(e.payload -> 'lesson_id') = 'number'
                              THEN (e.payload ->> 'lesson_id')::bigint END
              AND l.status = 'completed'
              AND l.student_id = (e.payload ->> 'student_id')::bigint
              AND l.teacher_id = (e.payload ->> 'teacher_id')::bigint) THEN
            RAISE EXCEPTION 'chat_created is appended only by the lesson trigger, for a completed lesson of a student and a teacher'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN e;
END
$$;

COMMENT ON FUNCTION events_rule_chat_created(e events) IS 'chat_created: direct, only by the lesson trigger (trigger depth 2, no actor) for a completed lesson of a student and a teacher (one chat per pair, ever: chats_one_per_pair decides races); group, by a teacher or an admin, with a title of 1-200 characters, not blank, and an optional context object; an announcement (announcement true: only its owner posts), by a teacher only, optionally with audience my_students (its members follow the owner''s completed lessons: lessons_join_audiences) and recipients guardians or both (it reaches the students'' guardians: announcement_families_join); inquiry, by a new guest through a live inquiry link (inquiry_open()); family, only by the database (family_chats_open: trigger depth 2 or more, no actor), for a guardian and a teacher whose pair concerns a child now (family_children; one chat per pair, ever: chats_one_per_family). In Rust: access::Staff on POST /api/chats (a group); inquiry_open() behind the inquiry link (an inquiry); nothing for a direct or a family chat, which only the database opens.';

REVOKE ALL ON FUNCTION events_rule_chat_created(e events) FROM PUBLIC;
