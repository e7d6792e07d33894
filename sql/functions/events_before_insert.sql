CREATE OR REPLACE FUNCTION events_before_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    target record;
    reply_to bigint;
    chat record;
    member record;
    actor_role text;
    manager boolean;
    new_message_id bigint;
    attached jsonb;
BEGIN
    PERFORM pg_advisory_xact_lock(1953854575, 1);
    NEW.position := nextval('events_position_seq');
    NEW.created_at := clock_timestamp();

    -- A plain message (text, no reply, no attachments): its id, and nothing else per row.
    -- Its sender's membership and the chat's being open are checked, and its messages row
    -- inserted, for the whole statement by the statement trigger events_after_insert.
    IF NEW.type = 'message_created' AND jsonb_typeof(NEW.payload -> 'content') = 'string'
       AND coalesce(NEW.payload -> 'reply_to_message_id', 'null') = 'null'
       AND coalesce(NEW.payload -> 'attachment_ids', 'null') IN ('null', '[]') THEN
        NEW.payload := jsonb_build_object('message_id', nextval('messages_id_seq'), 'content', NEW.payload ->> 'content');
        RETURN NEW;
    END IF;

    -- Nobody suspended, or whose erasure was asked for, appends anything but a read marker
    -- (a plain message's sender is checked by events_after_insert).
    IF NEW.actor_id IS NOT NULL AND NEW.type <> 'chat_read' AND EXISTS (
        SELECT 1 FROM users u WHERE u.id = NEW.actor_id
          AND (u.suspended_until > NEW.created_at OR u.erasure_requested_at IS NOT NULL)) THEN
        RAISE EXCEPTION 'user % is suspended: they may read, not write', NEW.actor_id
            USING ERRCODE = 'insufficient_privilege', HINT = 'account_suspended';
    END IF;
    IF NEW.type IN ('message_reported', 'message_hidden', 'message_unhidden', 'messages_purged', 'chat_exported',
                    'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased') THEN
        SELECT u.role INTO actor_role FROM users u WHERE u.id = NEW.actor_id;
    END IF;

    -- Messages, read markers and reports come from a current participant of the chat.
    IF NEW.type IN ('message_created', 'message_deleted', 'message_edited', 'chat_read', 'message_reported') AND NOT EXISTS (
        SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
        RAISE EXCEPTION 'user % is not a participant of chat %', NEW.actor_id, NEW.chat_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    -- Membership and title changes: of a group, by its owner (who may also add themself back
    -- after leaving) or an admin; a member may remove themself (leave).
    IF NEW.type IN ('participant_added', 'participant_removed', 'chat_renamed') THEN
        SELECT c.kind, c.created_by INTO chat FROM chats c WHERE c.id = NEW.chat_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'chat % does not exist', NEW.chat_id USING ERRCODE = 'no_data_found';
        END IF;
        IF chat.kind <> 'group' THEN
            RAISE EXCEPTION 'chat % is a % chat: its members and title never change', NEW.chat_id, chat.kind
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT u.role INTO actor_role FROM users u WHERE u.id = NEW.actor_id;
        manager := actor_role = 'admin' OR NEW.actor_id = chat.created_by;
        IF NOT manager AND NOT (NEW.type = 'participant_removed'
                                AND NEW.payload -> 'user_id' = to_jsonb(NEW.actor_id)) THEN
            RAISE EXCEPTION 'only the owner of group % or an admin may do this', NEW.chat_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;

    -- Events about one message: read it after taking the lock (every earlier append has
    -- committed and is visible).
    IF NEW.type IN ('message_deleted', 'message_edited', 'message_reported', 'message_hidden', 'message_unhidden') THEN
        SELECT m.id, m.chat_id, m.sender_id, m.is_deleted, m.content, m.position,
               m.hidden_at IS NOT NULL AS hidden, m.purged_at IS NOT NULL AS purged INTO target
        FROM messages m
        WHERE m.id = CASE WHEN jsonb_typeof(NEW.payload -> 'message_id') = 'number'
                          THEN (NEW.payload ->> 'message_id')::bigint END;
        IF NOT FOUND OR target.chat_id <> NEW.chat_id THEN
            RAISE EXCEPTION 'message % does not exist in chat %', NEW.payload -> 'message_id', NEW.chat_id
                USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    IF NEW.type IN ('message_deleted', 'message_edited') THEN
        IF target.sender_id IS DISTINCT FROM NEW.actor_id THEN
            RAISE EXCEPTION 'only the author may % message %',
                CASE NEW.type WHEN 'message_deleted' THEN 'delete' ELSE 'edit' END, NEW.payload -> 'message_id'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- A closed chat is read-only for its messages too: no edit, no deletion.
        IF (SELECT closed_at FROM chats WHERE id = NEW.chat_id) IS NOT NULL THEN
            RAISE EXCEPTION 'chat % is closed: it is read-only', NEW.chat_id
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
    END IF;

    CASE NEW.type
    WHEN 'chat_created' THEN
        IF NEW.payload ->> 'kind' = 'group' THEN
            IF NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.actor_id AND role IN ('teacher', 'admin')) THEN
                RAISE EXCEPTION 'only a teacher or an admin may create a group'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT chat_title_valid(NEW.payload -> 'title') THEN
                RAISE EXCEPTION 'a group needs a title of 1 to 200 characters, not only whitespace'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.payload ? 'context' AND jsonb_typeof(NEW.payload -> 'context') NOT IN ('object', 'null') THEN
                RAISE EXCEPTION 'a group''s context must be an object'
                    USING ERRCODE = 'check_violation';
            END IF;
            NEW.payload := jsonb_build_object('kind', 'group', 'title', NEW.payload -> 'title')
                || CASE WHEN jsonb_typeof(NEW.payload -> 'context') = 'object'
                        THEN jsonb_build_object('context', NEW.payload -> 'context') ELSE '{}' END;
        ELSIF NEW.payload ->> 'kind' = 'inquiry' THEN
            -- Through inquiry_open(): a live link of this host, a guest without a chat.
            IF NEW.actor_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM inquiry_links l
                JOIN users h ON h.id = l.host_id AND h.role = 'teacher'
                JOIN users g ON g.id = NEW.actor_id AND g.role = 'guest'
                WHERE l.id = CASE WHEN jsonb_typeof(NEW.payload -> 'link_id') = 'number'
                                  THEN (NEW.payload ->> 'link_id')::bigint END
                  AND l.revoked_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM chat_participants p WHERE p.user_id = g.id)) THEN
                RAISE EXCEPTION 'an inquiry chat is opened by a new guest through a live inquiry link'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT l.id, l.host_id, l.title, l.context INTO chat FROM inquiry_links l
            WHERE l.id = (NEW.payload ->> 'link_id')::bigint;
            NEW.payload := jsonb_build_object('kind', 'inquiry', 'title', chat.title, 'link_id', chat.id,
                                              'host_id', chat.host_id, 'guest_id', NEW.actor_id)
                || CASE WHEN chat.context IS NOT NULL THEN jsonb_build_object('context', chat.context) ELSE '{}' END;
        ELSE
            IF jsonb_typeof(NEW.payload -> 'student_id') IS DISTINCT FROM 'number'
               OR jsonb_typeof(NEW.payload -> 'teacher_id') IS DISTINCT FROM 'number' THEN
                RAISE EXCEPTION 'chat_created needs numeric payload fields student_id and teacher_id'
                    USING ERRCODE = 'check_violation';
            END IF;
            -- Only the lesson trigger opens a direct chat (it appends at trigger depth 2, a
            -- direct INSERT is at depth 1), for the completed lesson its payload names, of a
            -- student and a teacher.
            IF pg_trigger_depth() < 2 OR NEW.actor_id IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM lessons l
                JOIN users s ON s.id = l.student_id AND s.role = 'student'
                JOIN users t ON t.id = l.teacher_id AND t.role = 'teacher'
                WHERE l.id = CASE WHEN jsonb_typeof(NEW.payload -> 'lesson_id') = 'number'
                                  THEN (NEW.payload ->> 'lesson_id')::bigint END
                  AND l.status = 'completed'
                  AND l.student_id = (NEW.payload ->> 'student_id')::bigint
                  AND l.teacher_id = (NEW.payload ->> 'teacher_id')::bigint) THEN
                RAISE EXCEPTION 'chat_created is appended only by the lesson trigger, for a completed lesson of a student and a teacher'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
    WHEN 'participant_added' THEN
        SELECT u.id, u.role INTO member FROM users u
        WHERE u.id = CASE WHEN jsonb_typeof(NEW.payload -> 'user_id') = 'number'
                          THEN (NEW.payload ->> 'user_id')::bigint END;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'user % does not exist', NEW.payload -> 'user_id' USING ERRCODE = 'check_violation';
        END IF;
        IF member.role NOT IN ('student', 'teacher') THEN
            RAISE EXCEPTION 'user % is an admin: admins read every chat and are nobody''s members', member.id
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id AND user_id = member.id) THEN
            RETURN NULL;  -- already a member: nothing happened
        END IF;
        NEW.payload := jsonb_build_object('user_id', member.id, 'role', member.role);
    WHEN 'participant_removed' THEN
        IF NOT EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id
                       AND user_id = CASE WHEN jsonb_typeof(NEW.payload -> 'user_id') = 'number'
                                          THEN (NEW.payload ->> 'user_id')::bigint END) THEN
            RETURN NULL;  -- not a member (any more): nothing happened
        END IF;
        NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint);
    WHEN 'chat_renamed' THEN
        IF NOT chat_title_valid(NEW.payload -> 'title') THEN
            RAISE EXCEPTION 'a group needs a title of 1 to 200 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        IF (SELECT title FROM chats WHERE id = NEW.chat_id) = NEW.payload ->> 'title' THEN
            RETURN NULL;  -- the same title again: nothing happened
        END IF;
        NEW.payload := jsonb_build_object('title', NEW.payload -> 'title');
    WHEN 'chat_closed' THEN
        IF NEW.actor_id IS NOT NULL OR (SELECT kind FROM chats WHERE id = NEW.chat_id) IS DISTINCT FROM 'inquiry' THEN
            RAISE EXCEPTION 'only the system closes inquiry chats' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (SELECT closed_at FROM chats WHERE id = NEW.chat_id) IS NOT NULL THEN
            RETURN NULL;  -- closed already
        END IF;
        NEW.payload := jsonb_build_object('reason', coalesce(NEW.payload ->> 'reason', 'idle'));
    WHEN 'message_created' THEN
        IF (SELECT closed_at FROM chats WHERE id = NEW.chat_id) IS NOT NULL THEN
            RAISE EXCEPTION 'chat % is closed: it is read-only', NEW.chat_id
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF jsonb_typeof(NEW.payload -> 'content') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'message_created needs a string payload field content'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.payload ? 'reply_to_message_id' AND jsonb_typeof(NEW.payload -> 'reply_to_message_id') <> 'null' THEN
            reply_to := CASE WHEN jsonb_typeof(NEW.payload -> 'reply_to_message_id') = 'number'
                             THEN (NEW.payload ->> 'reply_to_message_id')::bigint END;
            -- A message of the chat that the sender can see (written since they joined).
            IF reply_to IS NULL OR NOT EXISTS (
                SELECT 1 FROM messages m JOIN chat_participants p ON p.chat_id = m.chat_id AND p.user_id = NEW.actor_id
                WHERE m.id = reply_to AND m.chat_id = NEW.chat_id AND m.position >= p.joined_position) THEN
                RAISE EXCEPTION 'reply_to_message_id % is not a message of chat %',
                    NEW.payload -> 'reply_to_message_id', NEW.chat_id
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        -- The log assigns message ids, under the lock, so they grow with positions.
        new_message_id := nextval('messages_id_seq');
        attached := attachments_bind(new_message_id, NEW.chat_id, NEW.actor_id, NEW.payload -> 'attachment_ids');
        NEW.payload := jsonb_build_object('message_id', new_message_id, 'content', NEW.payload ->> 'content');
        IF reply_to IS NOT NULL THEN
            NEW.payload := NEW.payload || jsonb_build_object('reply_to_message_id', reply_to);
        END IF;
        IF attached IS NOT NULL THEN
            NEW.payload := NEW.payload || jsonb_build_object('attachments', attached);
        END IF;
    WHEN 'message_deleted' THEN
        IF target.is_deleted THEN
            RETURN NULL;  -- deleting twice is a no-op: no second event
        END IF;
        NEW.payload := jsonb_build_object('message_id', (NEW.payload ->> 'message_id')::bigint);
    WHEN 'message_edited' THEN
        IF jsonb_typeof(NEW.payload -> 'content') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'message_edited needs a string payload field content'
                USING ERRCODE = 'check_violation';
        END IF;
        IF target.is_deleted THEN
            RAISE EXCEPTION 'message % is deleted and cannot be edited', NEW.payload -> 'message_id'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_deleted';
        END IF;
        IF target.purged THEN
            RAISE EXCEPTION 'message % was purged and cannot be edited', NEW.payload -> 'message_id'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_purged';
        END IF;
        IF target.hidden THEN
            RAISE EXCEPTION 'message % is hidden by a moderator and cannot be edited', NEW.payload -> 'message_id'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'message_hidden';
        END IF;
        IF target.content = NEW.payload ->> 'content' THEN
            RETURN NULL;  -- the same text again is a no-op: no event
        END IF;
        NEW.payload := jsonb_build_object('message_id', (NEW.payload ->> 'message_id')::bigint,
                                          'content', NEW.payload ->> 'content');
    WHEN 'chat_read' THEN
        SELECT m.chat_id INTO target
        FROM messages m
        WHERE m.id = CASE WHEN jsonb_typeof(NEW.payload -> 'up_to_message_id') = 'number'
                          THEN (NEW.payload ->> 'up_to_message_id')::bigint END;
        IF NOT FOUND OR target.chat_id <> NEW.chat_id THEN
            RAISE EXCEPTION 'up_to_message_id % is not a message of chat %', NEW.payload -> 'up_to_message_id', NEW.chat_id
                USING ERRCODE = 'check_violation';
        END IF;
        -- Markers only move forward; under the lock, so concurrent reads cannot reorder them.
        IF (NEW.payload ->> 'up_to_message_id')::bigint <= (
            SELECT last_read_message_id FROM chat_participants
            WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
            RETURN NULL;
        END IF;
        NEW.payload := jsonb_build_object('up_to_message_id', (NEW.payload ->> 'up_to_message_id')::bigint);
    WHEN 'message_reported' THEN
        IF target.sender_id = NEW.actor_id THEN
            RAISE EXCEPTION 'one cannot report one''s own message' USING ERRCODE = 'check_violation';
        END IF;
        IF target.position < (SELECT joined_position FROM chat_participants
                              WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
            RAISE EXCEPTION 'message % does not exist in chat %', target.id, NEW.chat_id USING ERRCODE = 'no_data_found';
        END IF;
        IF target.is_deleted OR target.hidden OR target.purged THEN
            RAISE EXCEPTION 'message % is no longer shown: there is nothing to report', target.id
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF EXISTS (SELECT 1 FROM reports r WHERE r.message_id = target.id AND r.reporter_id = NEW.actor_id) THEN
            RAISE EXCEPTION 'user % has already reported message %', NEW.actor_id, target.id
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'already_reported';
        END IF;
        IF NOT moderation_reason_valid(NEW.payload -> 'reason') THEN
            RAISE EXCEPTION 'a report needs a reason of 1 to 500 characters, not only whitespace'
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.payload := jsonb_build_object('message_id', target.id, 'reason', NEW.payload ->> 'reason');
    WHEN 'message_hidden', 'message_unhidden' THEN
        IF actor_role IS DISTINCT FROM 'admin' THEN
            RAISE EXCEPTION 'only an admin may hide or unhide a message' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.type = 'message_hidden' THEN
            IF NOT moderation_reason_valid(NEW.payload -> 'reason') THEN
                RAISE EXCEPTION 'hiding a message needs a reason of 1 to 500 characters, not only whitespace'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF target.hidden OR target.purged THEN
                RETURN NULL;  -- hidden already, or nothing left to hide
            END IF;
            NEW.payload := jsonb_build_object('message_id', target.id, 'reason', NEW.payload ->> 'reason');
        ELSE
            IF NOT target.hidden THEN
                RETURN NULL;  -- not hidden: nothing happened
            END IF;
            NEW.payload := jsonb_build_object('message_id', target.id);
        END IF;
    WHEN 'messages_purged' THEN
        PERFORM events_purge_rule(NEW, actor_role);
        NEW.payload := jsonb_build_object('message_ids', to_jsonb(ARRAY(
                SELECT m.id FROM messages m
                WHERE m.id IN (SELECT x::text::bigint FROM jsonb_array_elements(NEW.payload -> 'message_ids') x)
                  AND m.purged_at IS NULL ORDER BY m.id)),
            'cause', NEW.payload ->> 'cause')
            || CASE NEW.payload ->> 'cause'
                   WHEN 'retention' THEN jsonb_build_object('before', NEW.payload -> 'before')
                   ELSE jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint) END;
        IF NEW.payload -> 'message_ids' = '[]' THEN
            RETURN NULL;  -- every one purged already
        END IF;
    WHEN 'chat_exported' THEN
        IF actor_role IS DISTINCT FROM 'admin' AND NOT EXISTS (
            SELECT 1 FROM chat_participants WHERE chat_id = NEW.chat_id AND user_id = NEW.actor_id) THEN
            RAISE EXCEPTION 'user % is not a participant of chat %', NEW.actor_id, NEW.chat_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM chats WHERE id = NEW.chat_id) THEN
            RAISE EXCEPTION 'chat % does not exist', NEW.chat_id USING ERRCODE = 'no_data_found';
        END IF;
        IF NEW.payload ->> 'format' NOT IN ('json', 'html', 'pdf') OR jsonb_typeof(NEW.payload -> 'at') <> 'string' THEN
            RAISE EXCEPTION 'chat_exported needs a format (json, html or pdf) and the time it shows (at)'
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.payload := jsonb_build_object('format', NEW.payload ->> 'format', 'at', NEW.payload -> 'at');
    WHEN 'user_suspended', 'user_unsuspended', 'user_erasure_requested', 'user_erased' THEN
        PERFORM events_user_rule(NEW, actor_role);
        SELECT u.suspended_until > NEW.created_at AS suspended, u.erasure_requested_at IS NOT NULL AS erasing,
               u.erased_at IS NOT NULL AS erased INTO member
        FROM users u WHERE u.id = (NEW.payload ->> 'user_id')::bigint;
        CASE NEW.type
        WHEN 'user_suspended' THEN
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint,
                                              'reason', NEW.payload ->> 'reason', 'until', NEW.payload -> 'until');
        WHEN 'user_unsuspended' THEN
            IF NOT coalesce(member.suspended, false) THEN
                RETURN NULL;  -- not suspended: nothing happened
            END IF;
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint);
        WHEN 'user_erasure_requested' THEN
            IF member.erasing THEN
                RETURN NULL;  -- asked already: the erasure is under way or done
            END IF;
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint,
                                              'reason', NEW.payload ->> 'reason');
        ELSE
            IF member.erased THEN
                RETURN NULL;
            END IF;
            IF NOT member.erasing OR EXISTS (
                SELECT 1 FROM messages m WHERE m.sender_id = (NEW.payload ->> 'user_id')::bigint AND m.purged_at IS NULL) THEN
                RAISE EXCEPTION 'user % is erased only once their erasure was asked for and every message of theirs purged',
                    NEW.payload ->> 'user_id' USING ERRCODE = 'object_not_in_prerequisite_state';
            END IF;
            NEW.payload := jsonb_build_object('user_id', (NEW.payload ->> 'user_id')::bigint);
        END CASE;
    END CASE;
    PERFORM events_apply(NEW);
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION events_before_insert() IS 'Each row of an append, under the log''s lock:
its position, time and (for messages) its message id, then the rules of its type. A refusal
raises with an SQLSTATE the application maps to an HTTP status (and, where a client may act on
it, a HINT naming the API''s error code); "a no-op" returns NULL, so no event is appended and
nothing is announced.

Nobody suspended (users.suspended_until ahead) or whose erasure was asked for appends anything
but chat_read.

Who may append what, by type:
- chat_created: direct, only by the lesson trigger (trigger depth 2, no actor) for a completed
  lesson of a student and a teacher; one chat per pair, ever (chats_one_per_pair decides
  races). group: a teacher or an admin, with a title of 1-200 characters, not blank, and an
  optional context object. inquiry: a new guest through a live inquiry link (inquiry_open()).
- message_created: a current participant, in a chat that is not closed; content a string
  (its length is checked by the application: 1-10000 characters, or empty with
  attachments); a reply quotes a message of the same chat written since the sender joined;
  attachments are the sender''s unattached uploads to this chat (attachments_bind). A plain
  message is only numbered here: its membership, suspension and closed-chat checks and its
  messages row are done once per statement by events_after_insert.
- message_edited: the author, a participant, of a message not deleted, hidden or purged, in a
  chat that is not closed; the same text again is a no-op. The old text stays in the log
  (until the message is purged).
- message_deleted: the author, a participant, in a chat that is not closed; deleting again is
  a no-op. Soft: the row stays, marked deleted.
- chat_read: a participant, up to a message of the chat; markers only move forward (an older
  one is a no-op).
- participant_added, participant_removed, chat_renamed: groups only, by the owner or an admin;
  a member may remove themself (leave). Adding a member again, removing a non-member, the same
  title again: no-ops. Admins are nobody''s members. Whom a teacher may add: events_member_rule.
- chat_closed: inquiry chats only, by the system (no actor); closing again is a no-op. It
  ends the guest''s session (guest_sessions).
- message_reported: a participant, of someone else''s message they can see (written since they
  joined, not deleted, hidden or purged), once (reports_once), with a reason of 1-500
  characters.
- message_hidden, message_unhidden: an admin, with a reason to hide; hiding a hidden or purged
  message, unhiding one that is not hidden: no-ops.
- messages_purged: see events_purge_rule (retention by the system, erasure by an admin); the
  messages purged already are left out, and none left is a no-op.
- chat_exported: a participant or an admin; its format and the moment it shows.
- user_suspended, user_unsuspended, user_erasure_requested, user_erased: an admin, about
  anyone but an admin (events_user_rule); unsuspending someone not suspended, asking twice for
  an erasure, erasing twice: no-ops; user_erased only once every message of theirs is purged.';

CREATE OR REPLACE TRIGGER events_before_insert BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_before_insert();

ALTER TABLE events ENABLE ALWAYS TRIGGER events_before_insert;
