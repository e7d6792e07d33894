CREATE OR REPLACE FUNCTION events_before_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    kept events;
    barred boolean;
    departed boolean;
    block text := current_setting('tutorchat.block', true);
BEGIN
    IF NEW.xid IS NOT NULL AND block <> '' THEN
        -- Numbered by events_append's draw: only from this transaction's block.
        IF NEW.xid::text <> split_part(block, '/', 1) OR NEW.position < split_part(block, '/', 2)::bigint
           OR NEW.position > split_part(block, '/', 3)::bigint THEN
            RAISE EXCEPTION 'event position % is not of this transaction''s draw (%)', NEW.position, block
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSE
        -- Any other INSERT draws its own numbers, row by row, under the log lock held
        -- exclusively to commit: it waits for every append in flight, and nobody draws until
        -- it ends (events_append).
        PERFORM pg_advisory_xact_lock(1953854575, 1);
        NEW.position := nextval('events_position_seq');
        NEW.created_at := clock_timestamp();
        NEW.xid := pg_current_xact_id();
        IF NEW.type = 'message_created' THEN
            NEW.payload := NEW.payload || jsonb_build_object('message_id', nextval('messages_id_seq'));
        END IF;
    END IF;

    -- A plain message (mentioning nobody, no reply, no attachments): its id (drawn above or
    -- by events_append), and nothing else per row. (events_append's own, their payload just
    -- the content and the id, do not even come here: the trigger's WHEN, below.)
    -- Its sender's membership and the chat's being open are checked, and its messages row
    -- inserted, for the whole statement by the statement trigger events_after_insert.
    IF NEW.type = 'message_created' AND jsonb_typeof(NEW.payload -> 'content') = 'string'
       AND coalesce(NEW.payload -> 'reply_to_message_id', 'null') = 'null'
       AND coalesce(NEW.payload -> 'attachment_ids', 'null') IN ('null', '[]')
       AND NOT NEW.payload ? 'held_since' AND coalesce(NEW.payload -> 'mentions', 'null') IN ('null', '[]') THEN
        NEW.payload := jsonb_build_object('message_id', NEW.payload -> 'message_id', 'content', NEW.payload ->> 'content');
        RETURN NEW;
    END IF;

    -- An actor is a user (a plain message's sender is a member: events_after_insert). Nobody
    -- suspended, or whose erasure was asked for, appends anything but a read marker or a
    -- setting of their own; nobody deactivated (who left the school: their sessions have
    -- ended, and what they scheduled or quiet hours held for them is refused when it comes
    -- due) either. One lookup.
    IF NEW.actor_id IS NOT NULL THEN
        SELECT u.suspended_until > NEW.created_at OR u.erasure_requested_at IS NOT NULL, u.deactivated_at IS NOT NULL
        INTO barred, departed FROM users u WHERE u.id = NEW.actor_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'user % does not exist', NEW.actor_id USING ERRCODE = 'foreign_key_violation';
        ELSIF NEW.type NOT IN ('chat_read', 'chat_muted', 'chat_unmuted', 'chat_archived', 'chat_unarchived') THEN
            IF departed THEN
                RAISE EXCEPTION 'user % is deactivated: they left the school', NEW.actor_id
                    USING ERRCODE = 'insufficient_privilege', HINT = 'account_deactivated';
            ELSIF barred THEN
                RAISE EXCEPTION 'user % is suspended: they may read, not write', NEW.actor_id
                    USING ERRCODE = 'insufficient_privilege', HINT = 'account_suspended';
            END IF;
        END IF;
    END IF;

    -- The rules of its type: each returns the event as it is appended (its payload rebuilt
    -- from what it checked), or NULL for a no-op.
    CASE NEW.type
    WHEN 'chat_created' THEN kept := events_rule_chat_created(NEW);
    WHEN 'participant_added' THEN kept := events_rule_participant_added(NEW);
    WHEN 'participant_removed' THEN kept := events_rule_participant_removed(NEW);
    WHEN 'chat_renamed' THEN kept := events_rule_chat_renamed(NEW);
    WHEN 'chat_closed' THEN kept := events_rule_chat_closed(NEW);
    WHEN 'message_created' THEN kept := events_rule_message_created(NEW);
    WHEN 'message_deleted' THEN kept := events_rule_message_deleted(NEW);
    WHEN 'message_edited' THEN kept := events_rule_message_edited(NEW);
    WHEN 'chat_read' THEN kept := events_rule_chat_read(NEW);
    WHEN 'message_reported' THEN kept := events_rule_message_reported(NEW);
    WHEN 'message_hidden' THEN kept := events_rule_message_hidden(NEW);
    WHEN 'message_unhidden' THEN kept := events_rule_message_hidden(NEW);
    WHEN 'messages_purged' THEN kept := events_rule_messages_purged(NEW);
    WHEN 'chat_exported' THEN kept := events_rule_chat_exported(NEW);
    WHEN 'user_suspended' THEN kept := events_rule_person(NEW);
    WHEN 'user_unsuspended' THEN kept := events_rule_person(NEW);
    WHEN 'user_erasure_requested' THEN kept := events_rule_person(NEW);
    WHEN 'user_erased' THEN kept := events_rule_person(NEW);
    WHEN 'guardian_linked' THEN kept := events_rule_guardian(NEW);
    WHEN 'guardian_unlinked' THEN kept := events_rule_guardian(NEW);
    WHEN 'message_flagged' THEN kept := events_rule_message_flagged(NEW);
    WHEN 'report_cleared' THEN kept := events_rule_report_cleared(NEW);
    WHEN 'chat_muted', 'chat_unmuted', 'chat_archived', 'chat_unarchived' THEN kept := events_rule_chat_setting(NEW);
    WHEN 'closure_requested' THEN kept := events_rule_closure(NEW);
    WHEN 'closure_declined' THEN kept := events_rule_closure(NEW);
    WHEN 'reaction_added', 'reaction_removed' THEN kept := events_rule_reaction(NEW);
    WHEN 'message_pinned', 'message_unpinned' THEN kept := events_rule_pin(NEW);
    WHEN 'user_provisioned', 'user_changed', 'user_deactivated', 'user_reactivated' THEN kept := events_rule_people(NEW);
    WHEN 'chat_handed_over' THEN kept := events_rule_chat_handed_over(NEW);
    WHEN 'school_settings_changed' THEN kept := events_rule_school_settings(NEW);
    END CASE;  -- another type: CASE_NOT_FOUND (and events_type_check refuses it anyway)
    IF kept IS NULL THEN
        RETURN NULL;  -- a no-op: nothing is appended, nothing announced
    END IF;
    PERFORM events_apply(kept);
    RETURN kept;
END
$$;

COMMENT ON FUNCTION events_before_insert() IS 'Each row of an append: its position, time,
transaction id and (for messages) its message id, drawn by events_append (checked here against
its block), or else here under the log lock held exclusively to commit; then the rules of its
type. A refusal
raises with an SQLSTATE the application maps to an HTTP status (and, where a client may act on
it, a HINT naming the API''s error code); "a no-op" returns NULL, so no event is appended and
nothing is announced.

An actor is a user: an unknown actor_id is refused (foreign_key_violation; a plain message''s
sender must be a member, which events_after_insert checks). Nobody suspended
(users.suspended_until ahead) or whose erasure was asked for appends anything
but chat_read and their own chat settings (chat_muted, chat_unmuted, chat_archived,
chat_unarchived), nor anyone deactivated (users.deactivated_at set: they left the school; HINT
account_deactivated; a plain message''s sender is checked by events_after_insert).

Who may append what, by type (each type''s rule is a function of its own, events_rule_<type>,
with the same text as its comment):
- chat_created: direct, only by the lesson trigger (trigger depth 2, no actor) for a completed
  lesson of a student and a teacher; one chat per pair, ever (chats_one_per_pair decides
  races). group: a teacher or an admin, with a title of 1-200 characters, not blank, and an
  optional context object. inquiry: a new guest through a live inquiry link (inquiry_open()).
- message_created: a current participant, in a chat that is not closed; content a string
  (its length is checked by the application: 1-10000 characters, or empty with
  attachments); a reply quotes a message of the same chat written since the sender joined;
  attachments are the sender''s unattached uploads to this chat (attachments_bind); one that
  quiet hours held says since when (held_since, not after the event); in a group, the
  members its text mentions ("@Name"), as the application resolved them before the append
  (the payload''s mentions: at most 20), are kept if they are members now whose name follows
  an "@" in the text (message_mentions_check: a bounded check, whatever the text and the
  group). A plain message (mentioning nobody) is only numbered here (and one events_append numbered,
  its payload only its content and message id, skips this function: the trigger''s WHEN): its
  membership, suspension and closed-chat checks and its messages row are done once per
  statement by events_after_insert.
- message_edited: the author, a participant, of a message not deleted, hidden or purged, in a
  chat that is not closed; the same text again is a no-op; its mentions (resolved again by
  the application) are checked again.
  The old text stays in the log (until the message is purged).
- message_deleted: the author, a participant, in a chat that is not closed; deleting again is
  a no-op. Soft: the row stays, marked deleted.
- chat_read: a participant, up to a message of the chat; markers only move forward (an older
  one is a no-op).
- participant_added, participant_removed, chat_renamed: groups only, by the owner or an admin;
  a member may remove themself (leave). Adding a member again, removing a non-member, the same
  title again: no-ops. Admins are nobody''s members, nor is anyone who left the school
  (deactivated: HINT person_deactivated). Whom a teacher may add: events_member_rule.
- chat_closed: read-only for good; closing again is a no-op. By the system (no actor): inquiry
  chats only (idle, or their link revoked). By a person: reason blocked, an inquiry, by its
  teacher or an admin (inquiry_blocks); reason guardian_request, a direct chat, by an admin,
  naming an undecided closure request of it. An inquiry''s closing ends the guest''s session
  (guest_sessions).
- closure_requested: a guardian linked now to the student of a direct chat, with a reason of
  1-1000 characters. closure_declined: an admin, of an undecided request (decided: a no-op).
- message_reported: a participant, of someone else''s message they can see (written since they
  joined, not deleted, hidden or purged), once (reports_once), with a reason of 1-500
  characters.
- message_hidden, message_unhidden: an admin, with a reason to hide; hiding a hidden or purged
  message, unhiding one that is not hidden: no-ops.
- messages_purged: see events_purge_rule (retention by the system, erasure by an admin); the
  messages purged already are left out, and none left is a no-op.
- chat_exported: a participant, an admin or a guardian of the chat''s student; its format and the moment it shows.
- user_suspended, user_unsuspended, user_erasure_requested, user_erased: an admin, about
  anyone but an admin (events_user_rule); unsuspending someone not suspended, asking twice for
  an erasure, erasing twice: no-ops; user_erased only once every message of theirs is purged.
- chat_muted, chat_unmuted, chat_archived, chat_unarchived: a participant (not a guest), of
  their own membership; so already: a no-op (events_rule_chat_setting).
- reaction_added, reaction_removed: a participant (not a guest), of a message of the chat they
  can see (written since they joined), not deleted, hidden or purged, in a chat that is not
  closed, with one of reaction_emojis(); one per person per emoji: so already, a no-op
  (events_rule_reaction).
- message_pinned, message_unpinned: a group''s owner or a direct chat''s participant (not a
  guest), in a chat that is not closed, of a message of the chat they can see; pinning a
  message not deleted, hidden or purged, within the limit the request carries (PINS_PER_CHAT);
  so already: a no-op (events_rule_pin). Hiding, deleting or purging a message unpins it.
- user_provisioned, user_changed, user_deactivated, user_reactivated: a provisioning client (no
  actor, its name in the payload) or an admin, about anyone but a guest or a person being
  erased; a new person has a name, an email no one else has and a role (student, teacher,
  guardian, admin), an external id optional and unique; a change keeps only what differs
  (nothing: a no-op), and a role changes only for someone with no chat, lesson or guardian
  link yet; deactivating someone deactivated, reactivating someone active: no-ops
  (events_rule_people).
- chat_handed_over: an admin, of a direct chat not closed, to another teacher (not deactivated,
  suspended or being erased, never a former teacher of the chat); to its own teacher: a no-op;
  a pair (student, successor) that has a chat already: refused, HINT pair_has_chat
  (events_rule_chat_handed_over).
- school_settings_changed: an admin, naming no chat, with the settings to change (name,
  time_zone, quiet_hours, message_editing; null: back to the deployment''s default); only what differs is
  kept (nothing: a no-op) (events_rule_school_settings).';

-- Not called at all for a plain message events_append numbered (its payload exactly its
-- content and its message id, its position and transaction id of this statement's draw): the
-- function would only check that and return it as it is. Most of the log's rows are these, and
-- a trigger's WHEN costs a fraction of a PL/pgSQL call per row.
CREATE OR REPLACE TRIGGER events_before_insert BEFORE INSERT ON events FOR EACH ROW
    WHEN (NOT coalesce(
        new.type = 'message_created'
        AND new.xid::text = split_part(current_setting('tutorchat.block', true), '/', 1)
        AND new.position >= nullif(split_part(current_setting('tutorchat.block', true), '/', 2), '')::bigint
        AND new.position <= nullif(split_part(current_setting('tutorchat.block', true), '/', 3), '')::bigint
        AND jsonb_typeof(new.payload -> 'content') = 'string'
        AND jsonb_typeof(new.payload -> 'message_id') = 'number'
        AND new.payload - 'content' - 'message_id' = '{}'::jsonb, false))
    EXECUTE FUNCTION events_before_insert();

ALTER TABLE events ENABLE ALWAYS TRIGGER events_before_insert;
