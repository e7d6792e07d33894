//! The replay of a resuming stream: the events in a range that one viewer may see, read per
//! chat through `idx_events_chat_position` (re-exported by [`super::store`], with every other
//! statement on `events`).

use tokio_postgres::GenericClient;

use super::StoredEvent;

/// Who is replaying: an admin sees every chat, a guardian their children's direct chats (and
/// their own family chats, as a member), anyone else the chats they take part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Admin,
    Guardian(i64),
    Participant(i64),
}

/// Events in ($1, $2] of every chat, up to $3, in log order: an admin's replay. A reaction
/// only while its message shows it (not deleted, hidden or purged now), as history does.
pub const VISIBLE_TO_ADMIN_SQL: &str = "SELECT position, chat_id, actor_id, type, payload, created_at FROM events x
     WHERE position > $1 AND position <= $2
       AND (x.type NOT IN ('reaction_added', 'reaction_removed') OR EXISTS (
           SELECT 1 FROM messages m WHERE m.id = (x.payload ->> 'message_id')::bigint
             AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL))
     ORDER BY position LIMIT $3";

/// Events in ($1, $2] that user $4 was entitled to, up to $3, in log order: those of each
/// chat inside their membership intervals (`chat_memberships`: from the event that made them
/// a member through the one that removed them), except an edit, a pin or an unpin of a message
/// from before the interval began (history shows nobody a message from before they joined), and
/// a reaction to one, or to a message deleted, hidden or purged now (history shows it none); and
/// in an announcement whose owner they are not, the events that name another member (who
/// joined, left, read or reacted: listeners never learn of each other). Read per interval
/// through `idx_events_chat_position`, then merged: the cost follows the user's own chats,
/// never the traffic of everyone else's (scanning the log by position and filtering by chat
/// made a resume from 0 cost as much as the whole log).
pub const VISIBLE_TO_PARTICIPANT_SQL: &str = "SELECT e.position, e.chat_id, e.actor_id, e.type, e.payload, e.created_at
     FROM chat_memberships p
     JOIN chats c ON c.id = p.chat_id
     CROSS JOIN LATERAL (
         SELECT position, chat_id, actor_id, type, payload, created_at FROM events x
         WHERE x.chat_id = p.chat_id AND x.position > greatest($1, p.from_position - 1)
           AND x.position <= least($2, coalesce(p.to_position, $2))
           AND (NOT c.announcement OR c.created_by = $4
                OR x.type NOT IN ('participant_added', 'participant_removed', 'chat_read', 'reaction_added',
                                  'reaction_removed')
                OR coalesce((x.payload ->> 'user_id')::bigint, x.actor_id) = $4)
           AND (x.type NOT IN ('message_edited', 'message_pinned', 'message_unpinned') OR p.from_position <= (
               SELECT m.position FROM messages m WHERE m.id = (x.payload ->> 'message_id')::bigint))
           AND (x.type NOT IN ('reaction_added', 'reaction_removed') OR EXISTS (
               SELECT 1 FROM messages m WHERE m.id = (x.payload ->> 'message_id')::bigint
                 AND m.position >= p.from_position AND NOT m.is_deleted AND m.hidden_at IS NULL
                 AND m.purged_at IS NULL))
         ORDER BY x.position LIMIT $3
     ) e
     WHERE p.user_id = $4 AND p.from_position <= $2 AND (p.to_position IS NULL OR p.to_position > $1)
     ORDER BY e.position LIMIT $3";

/// Events in ($1, $2] that guardian $4 may read, up to $3, in log order, by the one rule of a
/// guardian's reading (`guardian_reading($4, $5)`, $5: `GUARDIAN_GROUPS=own_messages`), set-based:
/// - the direct chats of each student they are linked to now, from the link on (a link ended
///   ends the reading, history and replay alike), except an edit, a pin or an unpin of a message
///   from before the link;
/// - with $5, each group in the stretches where the student was a member and the guardian
///   linked: only the events about the student's own messages from those stretches (written,
///   edited, deleted, hidden, shown again, purged, pinned, unpinned, and the student's own
///   reactions to them), never another member's, nor the group's other events (its members,
///   its reads);
/// - a reaction only while its message shows it (not deleted, hidden or purged now), as
///   history does.
///
/// Read per stretch through `idx_events_chat_position`, as a participant's; a stretch of two
/// siblings in one group is read once.
pub const VISIBLE_TO_GUARDIAN_SQL: &str = "SELECT DISTINCT ON (e.position) e.position, e.chat_id, e.actor_id, e.type, e.payload, e.created_at
     FROM guardian_reading($4, $5) r
     CROSS JOIN LATERAL (
         SELECT position, chat_id, actor_id, type, payload, created_at FROM events x
         WHERE x.chat_id = r.chat_id AND x.position > greatest($1, r.from_position - 1)
           AND x.position <= least($2, coalesce(r.to_position, $2))
           AND CASE WHEN x.type IN ('reaction_added', 'reaction_removed') THEN
                    (NOT r.own_only OR x.actor_id = r.student_id) AND EXISTS (
                        SELECT 1 FROM messages m WHERE m.id = (x.payload ->> 'message_id')::bigint
                          AND m.position >= r.from_position AND NOT m.is_deleted AND m.hidden_at IS NULL
                          AND m.purged_at IS NULL AND (NOT r.own_only OR m.sender_id = r.student_id))
                WHEN NOT r.own_only THEN
                    x.type NOT IN ('message_edited', 'message_pinned', 'message_unpinned') OR r.from_position <= (
                        SELECT m.position FROM messages m WHERE m.id = (x.payload ->> 'message_id')::bigint)
                WHEN x.type = 'message_created' THEN x.actor_id = r.student_id
                WHEN x.type IN ('message_edited', 'message_deleted', 'message_hidden', 'message_unhidden',
                                'message_pinned', 'message_unpinned') THEN
                    EXISTS (SELECT 1 FROM messages m WHERE m.id = (x.payload ->> 'message_id')::bigint
                              AND m.sender_id = r.student_id AND m.position >= r.from_position)
                WHEN x.type = 'messages_purged' THEN
                    EXISTS (SELECT 1 FROM messages m
                            WHERE m.id IN (SELECT i::text::bigint FROM jsonb_array_elements(x.payload -> 'message_ids') i)
                              AND m.sender_id = r.student_id AND m.position >= r.from_position)
                ELSE false END
         ORDER BY x.position LIMIT $3
     ) e
     WHERE r.from_position <= $2 AND (r.to_position IS NULL OR r.to_position > $1)
     ORDER BY e.position LIMIT $3";

/// Up to `limit` events in (`after`, `through`] that `viewer` may see, in log order: the
/// replay of a stream that resumes. `guardian_groups`: a guardian reads their child's own
/// messages in groups (`GUARDIAN_GROUPS=own_messages`).
pub async fn read_visible(
    client: &impl GenericClient,
    viewer: Viewer,
    after: i64,
    through: i64,
    limit: i64,
    guardian_groups: bool,
) -> anyhow::Result<Vec<StoredEvent>> {
    let rows = match viewer {
        Viewer::Admin => client.query(VISIBLE_TO_ADMIN_SQL, &[&after, &through, &limit]).await?,
        Viewer::Participant(user) => {
            client.query(VISIBLE_TO_PARTICIPANT_SQL, &[&after, &through, &limit, &user]).await?
        }
        Viewer::Guardian(user) => {
            // Their children's chats by the guardian's rule, and their own family chats as a
            // member's, merged in log order (the two never share a chat: a guardian is a member
            // of no child's chat).
            type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
            let ward_params: [Param; 5] = [&after, &through, &limit, &user, &guardian_groups];
            let own_params: [Param; 4] = [&after, &through, &limit, &user];
            let wards = client.query(VISIBLE_TO_GUARDIAN_SQL, &ward_params);
            let own = client.query(VISIBLE_TO_PARTICIPANT_SQL, &own_params);
            let (wards, own) = futures::try_join!(wards, own)?;
            let mut events: Vec<StoredEvent> =
                wards.iter().chain(own.iter()).map(StoredEvent::from_row).collect::<anyhow::Result<_>>()?;
            events.sort_by_key(|e| e.position);
            events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            return Ok(events);
        }
    };
    rows.iter().map(StoredEvent::from_row).collect()
}
