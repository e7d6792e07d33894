CREATE OR REPLACE FUNCTION audit_chat_timeline(p_chat_id bigint) RETURNS TABLE(event_position bigint, occurred_at timestamp with time zone, event_type text, actor_id bigint, actor_name text, message_id bigint, content text, reply_to_message_id bigint, member_id bigint)
    LANGUAGE sql STABLE
    AS $$
    SELECT t.event_position, t.occurred_at, t.event_type, t.actor_id, t.actor_name, t.message_id, t.content,
           t.reply_to_message_id, t.member_id
    FROM (
    SELECT e.position AS event_position, e.created_at AS occurred_at, e.type AS event_type, e.actor_id,
           CASE WHEN e.actor_id IS NULL THEN '(system)' ELSE u.name END AS actor_name,
           coalesce((e.payload ->> 'message_id')::bigint, (e.payload ->> 'up_to_message_id')::bigint) AS message_id,
           CASE e.type
               WHEN 'message_created' THEN e.payload ->> 'content'
               WHEN 'message_edited' THEN e.payload ->> 'content'
               WHEN 'message_deleted' THEN (
                   SELECT v.payload ->> 'content' FROM events v
                   WHERE v.chat_id = e.chat_id AND v.position < e.position
                     AND v.type IN ('message_created', 'message_edited')
                     AND v.payload -> 'message_id' = e.payload -> 'message_id'
                   ORDER BY v.position DESC LIMIT 1)
               WHEN 'chat_read' THEN format('read up to message %s', e.payload ->> 'up_to_message_id')
               WHEN 'chat_created' THEN
                   CASE WHEN e.payload ->> 'audience' = 'my_students'
                        THEN format('announcement %s to all the owner''s students created', e.payload -> 'title')
                        WHEN e.payload -> 'announcement' = 'true'
                        THEN format('announcement %s created (only its owner posts)', e.payload -> 'title')
                        WHEN e.payload ->> 'kind' = 'group'
                        THEN format('group %s created', e.payload -> 'title')
                        WHEN e.payload ->> 'kind' = 'inquiry'
                        THEN format('inquiry %s opened by guest %s with teacher %s (link %s)', e.payload -> 'title',
                                    e.payload ->> 'guest_id', e.payload ->> 'host_id', e.payload ->> 'link_id')
                        ELSE format('chat opened for student %s and teacher %s (lesson %s)',
                                    e.payload ->> 'student_id', e.payload ->> 'teacher_id', e.payload ->> 'lesson_id')
                   END
               WHEN 'participant_added' THEN format('%s (%s, %s) joined', m.name, e.payload ->> 'user_id', e.payload ->> 'role')
               WHEN 'participant_removed' THEN
                   CASE WHEN e.actor_id = (e.payload ->> 'user_id')::bigint
                        THEN format('%s (%s) left', m.name, e.payload ->> 'user_id')
                        ELSE format('%s (%s) was removed', m.name, e.payload ->> 'user_id')
                   END
               WHEN 'chat_renamed' THEN format('renamed to %s', e.payload -> 'title')
               WHEN 'chat_closed' THEN
                   CASE e.payload ->> 'reason'
                        WHEN 'blocked' THEN format('closed: %s (%s) blocked the visitor', u.name, e.actor_id)
                        WHEN 'guardian_request' THEN format('closed by %s (%s) on closure request %s', u.name,
                                                            e.actor_id, e.payload ->> 'request_id')
                        ELSE format('closed (%s)', e.payload ->> 'reason')
                   END
               WHEN 'closure_requested' THEN format('closure requested by guardian %s (%s): %s', u.name, e.actor_id,
                                                    coalesce(nullif(e.payload ->> 'reason', ''), '(reason erased)'))
               WHEN 'closure_declined' THEN format('closure request %s declined by %s (%s)%s', e.payload ->> 'request_id',
                                                   u.name, e.actor_id,
                                                   coalesce(': ' || (e.payload ->> 'note'), ''))
               WHEN 'message_reported' THEN format('reported message %s: %s', e.payload ->> 'message_id',
                                                   coalesce(nullif(e.payload ->> 'reason', ''), '(reason erased)'))
               WHEN 'message_hidden' THEN format('hid message %s: %s', e.payload ->> 'message_id',
                                                 coalesce(nullif(e.payload ->> 'reason', ''), '(reason purged with the message)'))
               WHEN 'message_unhidden' THEN format('unhid message %s', e.payload ->> 'message_id')
               WHEN 'message_flagged' THEN format('flagged message %s: %s', e.payload ->> 'message_id',
                                                  coalesce(nullif(e.payload ->> 'flag', ''), '(flag purged with the message)'))
               WHEN 'report_cleared' THEN format('cleared report %s', e.payload ->> 'report_id')
               WHEN 'messages_purged' THEN
                   CASE WHEN e.payload ->> 'cause' = 'retention'
                        THEN format('purged by retention on %s (messages older than %s): messages %s',
                                    to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
                                    e.payload ->> 'before', e.payload -> 'message_ids')
                        ELSE format('erased on request of user %s (%s) by %s: messages %s',
                                    e.payload ->> 'user_id',
                                    (SELECT r.payload ->> 'reason' FROM events r
                                     WHERE r.chat_id IS NULL AND r.type = 'user_erasure_requested'
                                       AND (r.payload ->> 'user_id')::bigint = (e.payload ->> 'user_id')::bigint
                                     ORDER BY r.position DESC LIMIT 1),
                                    u.name, e.payload -> 'message_ids')
                   END
               WHEN 'chat_exported' THEN format('exported as %s, as it was at %s', e.payload ->> 'format', e.payload ->> 'at')
               WHEN 'chat_muted' THEN format('%s muted the chat (for themself)', u.name)
               WHEN 'chat_unmuted' THEN format('%s unmuted the chat', u.name)
               WHEN 'chat_archived' THEN format('%s archived the chat (for themself; the log keeps it)', u.name)
               WHEN 'chat_unarchived' THEN format('%s unarchived the chat', u.name)
               WHEN 'reaction_added' THEN format('%s reacted %s to message %s', u.name, e.payload ->> 'emoji',
                                                 e.payload ->> 'message_id')
               WHEN 'reaction_removed' THEN format('%s took back their %s on message %s', u.name,
                                                   e.payload ->> 'emoji', e.payload ->> 'message_id')
               WHEN 'message_pinned' THEN format('%s pinned message %s', u.name, e.payload ->> 'message_id')
               WHEN 'message_unpinned' THEN format('%s unpinned message %s', u.name, e.payload ->> 'message_id')
               WHEN 'chat_handed_over' THEN format('%s handed the chat over from teacher %s (%s) to teacher %s (%s)',
                                                   u.name, f.name, e.payload ->> 'from_teacher_id', m.name,
                                                   e.payload ->> 'to_teacher_id')
           END AS content,
           (e.payload ->> 'reply_to_message_id')::bigint AS reply_to_message_id,
           CASE WHEN e.type IN ('participant_added', 'participant_removed') THEN (e.payload ->> 'user_id')::bigint
                WHEN e.type = 'chat_handed_over' THEN (e.payload ->> 'to_teacher_id')::bigint END AS member_id,
           e.position AS after_position
    FROM events e
    LEFT JOIN users u ON u.id = e.actor_id
    LEFT JOIN users m ON m.id = CASE WHEN e.type IN ('participant_added', 'participant_removed')
                                     THEN (e.payload ->> 'user_id')::bigint
                                     WHEN e.type = 'chat_handed_over' THEN (e.payload ->> 'to_teacher_id')::bigint END
    LEFT JOIN users f ON f.id = CASE WHEN e.type = 'chat_handed_over' THEN (e.payload ->> 'from_teacher_id')::bigint END
    WHERE e.chat_id = p_chat_id
    UNION ALL
    -- Reads by someone who takes no part in the chat (access_records), each after the last
    -- event that was there when it happened; no position of their own.
    SELECT NULL, a.read_at, 'read_by_non_participant', a.reader_id, r.name,
           NULL, format('read through %s by %s (%s)', a.via, r.name, r.role), NULL, NULL,
           (SELECT max(x.position) FROM events x WHERE x.chat_id = p_chat_id AND x.created_at <= a.read_at)
    FROM access_records a JOIN users r ON r.id = a.reader_id
    WHERE a.chat_id = p_chat_id
    ) t
    ORDER BY t.after_position NULLS FIRST, t.event_position IS NULL, t.occurred_at
$$;

COMMENT ON FUNCTION audit_chat_timeline(p_chat_id bigint) IS 'A chat''s history for an auditor in psql, in log order: every event with who, when and what it said (a deleted message''s last text, a purge''s cause), and every read by someone who takes no part in the chat (read_by_non_participant, from access_records: who, through which endpoint), placed after the last event before it.';
