CREATE OR REPLACE FUNCTION events_apply(e events) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    student bigint := (e.payload ->> 'student_id')::bigint;
    teacher bigint := (e.payload ->> 'teacher_id')::bigint;
    member bigint := (e.payload ->> 'user_id')::bigint;
BEGIN
    CASE e.type
    WHEN 'chat_created' THEN
        IF e.payload ->> 'kind' = 'group' THEN
            INSERT INTO chats (id, kind, title, context, created_by, created_at, active_position, active_at,
                               announcement, audience, recipients)
            VALUES (e.chat_id, 'group', e.payload ->> 'title', e.payload -> 'context', e.actor_id, e.created_at,
                    e.position, e.created_at, coalesce((e.payload ->> 'announcement')::boolean, false),
                    e.payload ->> 'audience',
                    CASE WHEN e.payload -> 'announcement' = 'true'
                         THEN coalesce(e.payload ->> 'recipients', 'students') END);
        ELSIF e.payload ->> 'kind' = 'inquiry' THEN
            INSERT INTO chats (id, kind, title, context, created_by, created_at, active_position, active_at)
            VALUES (e.chat_id, 'inquiry', e.payload ->> 'title', e.payload -> 'context', e.actor_id, e.created_at,
                    e.position, e.created_at);
            INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position)
            VALUES (e.chat_id, (e.payload ->> 'host_id')::bigint, 'teacher', e.created_at, e.position),
                   (e.chat_id, (e.payload ->> 'guest_id')::bigint, 'guest', e.created_at, e.position);
            INSERT INTO chat_memberships (user_id, chat_id, from_position)
            VALUES ((e.payload ->> 'host_id')::bigint, e.chat_id, e.position),
                   ((e.payload ->> 'guest_id')::bigint, e.chat_id, e.position);
        ELSIF e.payload ->> 'kind' = 'family' THEN
            INSERT INTO chats (id, kind, guardian_id, teacher_id, created_at, active_position, active_at)
            VALUES (e.chat_id, 'family', (e.payload ->> 'guardian_id')::bigint, teacher, e.created_at,
                    e.position, e.created_at);
            INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position)
            VALUES (e.chat_id, teacher, 'teacher', e.created_at, e.position),
                   (e.chat_id, (e.payload ->> 'guardian_id')::bigint, 'guardian', e.created_at, e.position);
            INSERT INTO chat_memberships (user_id, chat_id, from_position)
            VALUES (teacher, e.chat_id, e.position), ((e.payload ->> 'guardian_id')::bigint, e.chat_id, e.position);
        ELSE
            INSERT INTO chats (id, student_id, teacher_id, created_at, active_position, active_at)
            VALUES (e.chat_id, student, teacher, e.created_at, e.position, e.created_at);
            INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position)
            VALUES (e.chat_id, teacher, 'teacher', e.created_at, e.position),
                   (e.chat_id, student, 'student', e.created_at, e.position);
            INSERT INTO chat_memberships (user_id, chat_id, from_position)
            VALUES (teacher, e.chat_id, e.position), (student, e.chat_id, e.position);
            -- The child's guardians get their chat with the teacher, if they had none.
            PERFORM family_chats_open(NULL, student);
        END IF;
    WHEN 'participant_added' THEN
        INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position, last_read_message_id)
        VALUES (e.chat_id, member, e.payload ->> 'role', e.created_at, e.position,
                coalesce((SELECT max(id) FROM messages WHERE chat_id = e.chat_id), 0));
        INSERT INTO chat_memberships (user_id, chat_id, from_position) VALUES (member, e.chat_id, e.position);
    WHEN 'participant_removed' THEN
        DELETE FROM chat_participants WHERE chat_id = e.chat_id AND user_id = member;
        UPDATE chat_memberships SET to_position = e.position
        WHERE chat_id = e.chat_id AND user_id = member AND to_position IS NULL;
    WHEN 'chat_handed_over' THEN
        -- The successor inherits the teacher's membership (from the chat's opening: the whole
        -- history), read up to the newest message; the departed teacher's ends here.
        UPDATE chats SET teacher_id = (e.payload ->> 'to_teacher_id')::bigint WHERE id = e.chat_id;
        INSERT INTO chat_participants (chat_id, user_id, role, joined_at, joined_position, last_read_message_id)
        SELECT e.chat_id, (e.payload ->> 'to_teacher_id')::bigint, 'teacher', e.created_at, p.joined_position,
               coalesce((SELECT max(m.id) FROM messages m WHERE m.chat_id = e.chat_id), 0)
        FROM chat_participants p WHERE p.chat_id = e.chat_id AND p.user_id = (e.payload ->> 'from_teacher_id')::bigint;
        DELETE FROM chat_participants WHERE chat_id = e.chat_id AND user_id = (e.payload ->> 'from_teacher_id')::bigint;
        INSERT INTO chat_memberships (user_id, chat_id, from_position)
        SELECT (e.payload ->> 'to_teacher_id')::bigint, e.chat_id, s.from_position
        FROM chat_memberships s
        WHERE s.chat_id = e.chat_id AND s.user_id = (e.payload ->> 'from_teacher_id')::bigint AND s.to_position IS NULL;
        UPDATE chat_memberships SET to_position = e.position
        WHERE chat_id = e.chat_id AND user_id = (e.payload ->> 'from_teacher_id')::bigint AND to_position IS NULL;
    WHEN 'chat_renamed' THEN
        UPDATE chats SET title = e.payload ->> 'title' WHERE id = e.chat_id;
    WHEN 'chat_closed' THEN
        UPDATE chats SET closed_at = coalesce(closed_at, e.created_at) WHERE id = e.chat_id;
        IF e.payload ->> 'reason' = 'blocked' THEN
            INSERT INTO inquiry_blocks (chat_id, link_id, guest_id, blocked_by, blocked_at, position)
            SELECT e.chat_id, g.link_id, g.guest_id, e.actor_id, e.created_at, e.position
            FROM guest_sessions g WHERE g.chat_id = e.chat_id;
        ELSIF e.payload ->> 'reason' = 'guardian_request' THEN
            -- The chat closes once: every request of it still open is granted with it.
            UPDATE closure_requests SET outcome = 'closed', decided_by = e.actor_id, decided_at = e.created_at
            WHERE chat_id = e.chat_id AND outcome IS NULL;
        END IF;
    WHEN 'closure_requested' THEN
        INSERT INTO closure_requests (id, chat_id, requested_by, reason, requested_at)
        VALUES (e.position, e.chat_id, e.actor_id, e.payload ->> 'reason', e.created_at);
    WHEN 'closure_declined' THEN
        UPDATE closure_requests SET outcome = 'declined', decided_by = e.actor_id, decided_at = e.created_at,
                                    note = e.payload ->> 'note'
        WHERE id = (e.payload ->> 'request_id')::bigint;
    WHEN 'message_created' THEN
        NULL;  -- inserted into messages for the whole statement, by events_after_insert
    WHEN 'message_deleted' THEN
        UPDATE messages
        SET is_deleted = true, deleted_at = e.created_at, deleted_by = e.actor_id
        WHERE id = (e.payload ->> 'message_id')::bigint;
        DELETE FROM chat_pins WHERE message_id = (e.payload ->> 'message_id')::bigint;  -- unpinned with it
    WHEN 'message_edited' THEN
        UPDATE messages
        SET content = e.payload ->> 'content', edited_at = e.created_at
        WHERE id = (e.payload ->> 'message_id')::bigint;
        -- Its mentions are the new text's (resolved again by events_rule_message_edited).
        DELETE FROM message_mentions WHERE message_id = (e.payload ->> 'message_id')::bigint;
        INSERT INTO message_mentions (message_id, user_id, chat_id)
        SELECT (e.payload ->> 'message_id')::bigint, x::text::bigint, e.chat_id
        FROM jsonb_array_elements(coalesce(e.payload -> 'mentions', '[]')) x;
    WHEN 'chat_read' THEN
        -- The member's unread count follows from the marker (chat_unread): nothing else to keep.
        UPDATE chat_participants
        SET last_read_message_id = (e.payload ->> 'up_to_message_id')::bigint
        WHERE chat_id = e.chat_id AND user_id = e.actor_id;
    WHEN 'message_reported' THEN
        INSERT INTO reports (id, message_id, chat_id, reporter_id, reason, created_at)
        VALUES (e.position, (e.payload ->> 'message_id')::bigint, e.chat_id, e.actor_id, e.payload ->> 'reason', e.created_at);
    WHEN 'message_hidden' THEN
        UPDATE messages SET hidden_at = e.created_at, hidden_by = e.actor_id, hidden_reason = e.payload ->> 'reason'
        WHERE id = (e.payload ->> 'message_id')::bigint;
        UPDATE reports SET resolved_at = e.created_at, resolved_by = e.actor_id, resolution = 'hidden'
        WHERE message_id = (e.payload ->> 'message_id')::bigint AND resolved_at IS NULL;
        DELETE FROM chat_pins WHERE message_id = (e.payload ->> 'message_id')::bigint;  -- unpinned with it
        -- An offline notification not sent yet no longer quotes it.
        UPDATE notices SET preview = ''
        WHERE chat_id = e.chat_id AND state IN ('pending', 'retry') AND preview <> ''
          AND (e.payload ->> 'message_id')::bigint BETWEEN first_message_id AND message_id;
    WHEN 'message_unhidden' THEN
        UPDATE messages SET hidden_at = NULL, hidden_by = NULL, hidden_reason = NULL
        WHERE id = (e.payload ->> 'message_id')::bigint;
    WHEN 'messages_purged' THEN
        PERFORM events_purge(e);
        DELETE FROM chat_pins  -- unpinned with them
        WHERE message_id IN (SELECT x::text::bigint FROM jsonb_array_elements(e.payload -> 'message_ids') x);
    WHEN 'message_pinned' THEN
        INSERT INTO chat_pins (message_id, chat_id, pinned_by, pinned_at, position)
        VALUES ((e.payload ->> 'message_id')::bigint, e.chat_id, e.actor_id, e.created_at, e.position);
    WHEN 'message_unpinned' THEN
        DELETE FROM chat_pins WHERE message_id = (e.payload ->> 'message_id')::bigint;
    WHEN 'chat_exported' THEN
        NULL;  -- a record of who exported what, and nothing else
    WHEN 'user_suspended' THEN
        UPDATE users SET suspended_until = coalesce((e.payload ->> 'until')::timestamptz, 'infinity'),
                         suspension_reason = e.payload ->> 'reason'
        WHERE id = member;
    WHEN 'user_unsuspended' THEN
        UPDATE users SET suspended_until = NULL, suspension_reason = NULL WHERE id = member;
    WHEN 'user_erasure_requested' THEN
        UPDATE users SET erasure_requested_at = e.created_at WHERE id = member;
        DELETE FROM held_messages WHERE sender_id = member;  -- never delivered, now never will be
        DELETE FROM scheduled_messages WHERE author_id = member;  -- their words, never to be sent
    WHEN 'user_erased' THEN
        PERFORM events_erase_person(e);
    WHEN 'message_flagged' THEN
        INSERT INTO reports (id, message_id, chat_id, reporter_id, reason, flag, created_at)
        VALUES (e.position, (e.payload ->> 'message_id')::bigint, e.chat_id, NULL, e.payload ->> 'flag',
                e.payload ->> 'flag', e.created_at);
    WHEN 'report_cleared' THEN
        UPDATE reports SET resolved_at = e.created_at, resolved_by = e.actor_id, resolution = 'cleared'
        WHERE id = (e.payload ->> 'report_id')::bigint;
    WHEN 'guardian_linked' THEN
        INSERT INTO guardian_links (guardian_id, student_id, from_position)
        VALUES ((e.payload ->> 'guardian_id')::bigint, student, e.position);
        -- The guardian's chats with the child's teachers, if they had none.
        PERFORM family_chats_open((e.payload ->> 'guardian_id')::bigint, student);
        -- … and the announcements to families that concern the child.
        PERFORM announcement_families_join((e.payload ->> 'guardian_id')::bigint, student);
    WHEN 'chat_muted', 'chat_unmuted' THEN
        UPDATE chat_participants SET muted = (e.type = 'chat_muted')
        WHERE chat_id = e.chat_id AND user_id = e.actor_id;
    WHEN 'chat_archived', 'chat_unarchived' THEN
        UPDATE chat_participants SET archived_position = CASE WHEN e.type = 'chat_archived' THEN e.position END
        WHERE chat_id = e.chat_id AND user_id = e.actor_id;
    WHEN 'reaction_added' THEN
        INSERT INTO message_reactions (message_id, user_id, emoji, chat_id, position)
        VALUES ((e.payload ->> 'message_id')::bigint, e.actor_id, e.payload ->> 'emoji', e.chat_id, e.position);
    WHEN 'reaction_removed' THEN
        DELETE FROM message_reactions
        WHERE message_id = (e.payload ->> 'message_id')::bigint AND user_id = e.actor_id
          AND emoji = e.payload ->> 'emoji';
    WHEN 'user_provisioned' THEN
        INSERT INTO users (id, email, name, role, created_at, external_id, user_name)
        VALUES (member, e.payload ->> 'email', e.payload ->> 'name', e.payload ->> 'role', e.created_at,
                e.payload ->> 'external_id', e.payload ->> 'user_name');
    WHEN 'user_changed' THEN
        UPDATE users
        SET external_id = CASE WHEN e.payload ? 'external_id' THEN e.payload ->> 'external_id' ELSE external_id END,
            user_name = CASE WHEN e.payload ? 'user_name' THEN e.payload ->> 'user_name' ELSE user_name END,
            name = coalesce(e.payload ->> 'name', name),
            email = coalesce(e.payload ->> 'email', email),
            role = coalesce(e.payload ->> 'role', role)
        WHERE id = member;
    WHEN 'user_deactivated' THEN
        UPDATE users SET deactivated_at = e.created_at WHERE id = member;
        -- Who left the school hears nothing more from it: their offline notifications not sent
        -- yet are cancelled (and no longer quote anyone; new ones are not written:
        -- events_after_insert, and a claim cancels any left: notice_reader), their browsers'
        -- Web Push subscriptions go (with their pushes), and their inquiry links open no new
        -- chat. Reactivation gives back none of these: they subscribe and get links anew.
        UPDATE notices SET state = 'cancelled', preview = '', settled_at = e.created_at, claimed_until = NULL
        WHERE user_id = member AND state IN ('pending', 'retry');
        DELETE FROM push_subscriptions WHERE user_id = member;
        -- Their signed-in devices end: no session of theirs renews any more (their tokens are
        -- refused already, the account being deactivated).
        UPDATE sessions SET ended_at = e.created_at, ended_why = 'deactivated' WHERE user_id = member AND ended_at IS NULL;
        UPDATE inquiry_links SET revoked_at = e.created_at WHERE host_id = member AND revoked_at IS NULL;
        -- A student who left concerns their guardians no more: the announcements to families
        -- that reached a guardian only through them lose that guardian.
        PERFORM announcement_families_leave(g.guardian_id)
        FROM guardian_links g WHERE g.student_id = member AND g.to_position IS NULL ORDER BY g.guardian_id;
    WHEN 'user_reactivated' THEN
        UPDATE users SET deactivated_at = NULL WHERE id = member;
    WHEN 'guardian_unlinked' THEN
        UPDATE guardian_links SET to_position = e.position
        WHERE guardian_id = (e.payload ->> 'guardian_id')::bigint AND student_id = student AND to_position IS NULL;
        -- The announcements to families that concern none of their children now lose them.
        PERFORM announcement_families_leave((e.payload ->> 'guardian_id')::bigint);
    WHEN 'school_settings_changed' THEN
        INSERT INTO school_settings (name, time_zone, quiet_hours, family_quiet_hours, message_editing, retention_days,
                                     email_notify, language, email_sender, guardian_groups, position)
        VALUES (e.payload ->> 'name', e.payload ->> 'time_zone', e.payload ->> 'quiet_hours',
                e.payload ->> 'family_quiet_hours', (e.payload ->> 'message_editing')::boolean,
                (e.payload ->> 'retention_days')::integer, e.payload ->> 'email_notify', e.payload ->> 'language',
                e.payload ->> 'email_sender', e.payload ->> 'guardian_groups', e.position)
        ON CONFLICT (school_id) DO UPDATE
        SET name = CASE WHEN e.payload ? 'name' THEN excluded.name ELSE school_settings.name END,
            time_zone = CASE WHEN e.payload ? 'time_zone' THEN excluded.time_zone ELSE school_settings.time_zone END,
            quiet_hours = CASE WHEN e.payload ? 'quiet_hours' THEN excluded.quiet_hours ELSE school_settings.quiet_hours END,
            family_quiet_hours = CASE WHEN e.payload ? 'family_quiet_hours' THEN excluded.family_quiet_hours
                                      ELSE school_settings.family_quiet_hours END,
            message_editing = CASE WHEN e.payload ? 'message_editing' THEN excluded.message_editing
                                   ELSE school_settings.message_editing END,
            retention_days = CASE WHEN e.payload ? 'retention_days' THEN excluded.retention_days
                                  ELSE school_settings.retention_days END,
            email_notify = CASE WHEN e.payload ? 'email_notify' THEN excluded.email_notify ELSE school_settings.email_notify END,
            language = CASE WHEN e.payload ? 'language' THEN excluded.language ELSE school_settings.language END,
            email_sender = CASE WHEN e.payload ? 'email_sender' THEN excluded.email_sender ELSE school_settings.email_sender END,
            guardian_groups = CASE WHEN e.payload ? 'guardian_groups' THEN excluded.guardian_groups
                                   ELSE school_settings.guardian_groups END,
            position = excluded.position;
    END CASE;
END
$$;

COMMENT ON FUNCTION events_apply(e events) IS 'What each event does to the read models, row by
row inside the append (a later row of the same statement sees what an earlier one did):
chat_created inserts the chat, its participants and their membership intervals (a group''s
members follow as participant_added; an announcement''s mode and audience are its columns; a
family chat''s are its guardian and teacher); a direct chat''s, and guardian_linked, open the
family chats their student gives a reason for (family_chats_open), and guardian_linked joins the
announcements to families that concern the child (announcement_families_join), guardian_unlinked
leaves those that concern none of the guardian''s children any more (announcement_families_leave); participant_added opens an interval and starts the new
member''s read marker at the chat''s newest message (they see nothing from before they
joined); participant_removed closes it at this position; chat_renamed and chat_closed set the
chat''s title and closed_at; message_edited sets the current text and edited_at, and
replaces the message''s mentions (message_mentions) with the new text''s;
message_deleted marks the message deleted; chat_read moves the reader''s marker.
message_created is inserted for the whole statement by events_after_insert.
message_reported inserts a report; message_hidden marks the message hidden (by whom, why),
resolves its open reports and blanks the previews of unsent notifications that quote it;
message_unhidden clears the mark; messages_purged blanks the messages'' content everywhere
(events_purge); user_suspended, user_unsuspended and user_erasure_requested set the person''s
columns (the last also drops their messages quiet hours still hold and those they scheduled: scheduled_messages); user_erased replaces their name and email (events_erase_person); chat_exported
changes nothing; guardian_linked opens a guardian_links interval, guardian_unlinked closes it
at this position; message_flagged inserts a report without a reporter (its flag), and
report_cleared resolves a report as cleared; chat_muted and chat_unmuted set the actor''s
chat_participants.muted, chat_archived sets their archived_position to its own position and
chat_unarchived clears it (leaving a group drops the row, and both settings with it);
reaction_added inserts the actor''s reaction (message_reactions), reaction_removed deletes it
(a purge deletes a message''s reactions, an erasure the person''s: events_purge,
events_erase_person).
message_pinned inserts the pin (chat_pins), message_unpinned deletes it; message_hidden,
message_deleted and messages_purged delete the pins of their messages too (a message that is
not shown is pinned nowhere; no event of its own says so, and message_unhidden does not pin
it again).
chat_closed by blocking records the block (inquiry_blocks); by a guardian''s request it grants
every open request of the chat, and closure_declined declines its one (closure_requests, which
closure_requested inserted).
user_provisioned inserts the person (users: its user_id, email, name, role, external_id,
user_name, created then); user_changed sets the attributes its payload names (an external_id or
user_name of null forgets it);
user_deactivated sets users.deactivated_at to its time, cancels (and blanks) the person''s
offline notifications not sent yet, deletes their Web Push subscriptions, ends their sessions
(sessions.ended_why = deactivated: none renews) and revokes their inquiry links, and takes a student''s guardians out of the announcements to families that
reached them only through that student (announcement_families_leave); user_reactivated clears
deactivated_at (and gives none of those back).
chat_handed_over sets the chat''s teacher_id to the successor, who takes the departed teacher''s
chat_participants row (its joined_position: the chat''s opening, so the whole history) read up
to the chat''s newest message, and a chat_memberships interval from the same opening; the
departed teacher''s row goes and their interval closes at this position.
school_settings_changed sets the school''s settings its payload names (school_settings; null:
back to the deployment''s default).';

REVOKE ALL ON FUNCTION events_apply(e events) FROM PUBLIC;
