-- The guardians' policy for groups (GUARDIAN_GROUPS: none, or their child's own messages)
-- becomes a school's setting: school_settings.guardian_groups is the school's own (NULL: the
-- deployment's, which safeguarding_settings keeps as every replica sets it at start), and the
-- guardian_policy view the one that holds, which the database's readers of it ask (a group's
-- header here; the notices' readers and the export's rule in sql/functions).

ALTER TABLE school_settings ADD COLUMN guardian_groups text CHECK (guardian_groups IN ('none', 'own_messages'));

COMMENT ON COLUMN school_settings.guardian_groups IS 'What a guardian reads of their child''s groups: none, or own_messages (the child''s own messages); NULL for the deployment''s (GUARDIAN_GROUPS, in safeguarding_settings).';

COMMENT ON TABLE safeguarding_settings IS 'The deployment''s GUARDIAN_GROUPS, as the replicas set it at start (they must agree): the default of a school that set none of its own (school_settings.guardian_groups); guardian_policy is the one that holds.';

CREATE VIEW guardian_policy WITH (security_invoker = true) AS
SELECT coalesce(o.guardian_groups, d.guardian_groups) AS guardian_groups
FROM safeguarding_settings d
LEFT JOIN school_settings o ON true;

COMMENT ON VIEW guardian_policy IS 'The guardians'' policy for groups as it holds: the school''s own (school_settings.guardian_groups), else the deployment''s (safeguarding_settings); one row. Read by chat_headers, notice_reader, notices_fan_out and events_rule_chat_exported.';

GRANT SELECT ON guardian_policy TO tutorchat_app;

CREATE OR REPLACE VIEW chat_headers WITH (security_invoker = true) AS
SELECT c.id, c.created_at, c.kind, c.title, c.context, c.created_by, c.active_at AS updated_at, c.closed_at,
       CASE WHEN c.kind <> 'group' THEN 2
            ELSE (SELECT count(*) FROM chat_participants n WHERE n.chat_id = c.id) END AS participants_count,
       c.active_position, c.last_message_id, c.message_count,
       CASE c.kind
           WHEN 'direct' THEN EXISTS (
               SELECT 1 FROM guardian_links g WHERE g.student_id = c.student_id AND g.to_position IS NULL)
           WHEN 'group' THEN (SELECT p.guardian_groups = 'own_messages' FROM guardian_policy p) AND EXISTS (
               SELECT 1 FROM chat_participants p
               JOIN guardian_links g ON g.student_id = p.user_id AND g.to_position IS NULL
               WHERE p.chat_id = c.id)
           ELSE false
       END AS guardians_read,
       c.announcement, c.audience,
       CASE WHEN c.kind = 'direct' THEN ARRAY(
           SELECT l.subject FROM lessons l
           WHERE l.student_id = c.student_id AND l.teacher_id = c.teacher_id
             AND l.subject IS NOT NULL AND l.status <> 'cancelled'
           GROUP BY l.subject ORDER BY max(l.scheduled_at) DESC, l.subject)
       ELSE '{}'::text[] END AS subjects,
       c.kind IN ('direct', 'family') AND EXISTS (
           SELECT 1 FROM users t WHERE t.id = c.teacher_id AND t.deactivated_at IS NOT NULL) AS teacher_departed,
       c.kind = 'direct' AND EXISTS (
           SELECT 1 FROM users s WHERE s.id = c.student_id AND s.deactivated_at IS NOT NULL) AS student_departed,
       c.student_id, c.teacher_id, c.guardian_id,
       CASE WHEN c.kind = 'family' THEN ARRAY(
           SELECT s.name FROM family_children f JOIN users s ON s.id = f.student_id
           WHERE f.guardian_id = c.guardian_id AND f.teacher_id = c.teacher_id ORDER BY s.name, s.id)
       ELSE '{}'::text[] END AS children,
       c.recipients
FROM chats c;

COMMENT ON VIEW chat_headers IS 'A chat as its header shows it (the API''s ChatHeader): updated_at is its last activity, participants_count its current members, guardians_read whether a guardian can read it now (a direct chat''s student''s; under the guardians'' policy own_messages (guardian_policy), a group member''s, their child''s own messages), announcement, audience and recipients as chats has them, subjects the subjects of a direct chat''s pair''s lessons (not cancelled), the most recent first (empty for other chats), teacher_departed whether a direct or a family chat''s teacher is deactivated (read-only until handed over: chat_handed_over), student_departed whether a direct chat''s student is (the teacher''s chat list files it with the archived ones), student_id and teacher_id a direct chat''s pair (NULL for other chats; a family chat''s teacher), guardian_id a family chat''s guardian, children the names of the children a family chat concerns now (family_children; none: it is read-only; empty for other kinds).';
