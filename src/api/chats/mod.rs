//! Chat lists: a participant's own chats, and every chat for admins, a page at a time, ordered
//! by last activity, with search by name or title and a kind filter.

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};

mod everything;
mod page;

pub use everything::everything_of;

use page::{Cursor, Page};

use super::{MinPositionParam, Snapshot};
use crate::access::Admin;
use crate::auth::{AuthUser, Role};
use crate::error::ErrorBody;
use crate::extract::{MinPosition, QueryParams};
use crate::limits::Limited;
use crate::log::store;
use crate::standby::{ReadClient, Source, reading};
use crate::wire::{
    AdminChat, Attachment, ChatHeader, ChatKind, ChatSummary, LastMessage, MessageType, Person, Presences,
};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    crate::access::for_guests(Router::new().route("/api/chats", get(list_chats)))
        .route("/api/admin/chats", get(list_all_chats))
}

/// Chats per page unless `limit` says otherwise, and at most.
pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 500;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatList {
    pub chats: Vec<ChatSummary>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminChatList {
    pub chats: Vec<AdminChat>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)] // `offset` or `page` would otherwise silently answer the first page
pub struct ListQuery {
    /// 1–500. Without it (and without `cursor`) every chat, as one list; with a `cursor` and no
    /// `limit`, pages of 100.
    #[param(minimum = 1, maximum = 500, nullable = false)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    #[param(nullable = false, pattern = r"^[0-9]{1,18}\.[0-9]{1,18}\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Only chats whose group title or direct partner's name (any member's, for admins)
    /// contains this, ignoring case (Cyrillic included): at most 100 characters.
    #[param(nullable = false, max_length = 100, pattern = "^[^\\u0000]*$")]
    pub q: Option<String>,
    /// Only chats of this kind.
    #[param(nullable = false)]
    pub kind: Option<ChatKind>,
    /// `true`: only the chats the caller archived (and no message has brought back since), and
    /// a teacher's direct chats with a student who left the school (deactivated); otherwise
    /// their inbox, which leaves those out. Admins and guardians archive nothing.
    #[param(nullable = false)]
    pub archived: Option<bool>,
}

/// A page of a participant's chats ($1: the user; $2–$4: the cursor's head, activity and id;
/// $5: the kind or NULL; $6: the search pattern or NULL; $7: the page size plus one; $8: the
/// archived ones rather than the inbox), most
/// recent activity first, with the log head (see [`store::snapshot`]). The page's chats are
/// chosen first, from the user's participant rows and the chats' activity as of the head
/// (`chat_activity_as_of`) and partner; only they are then joined to their last message. The
/// last message and the unread count are read models kept by the events trigger
/// (`sql/functions/events_after_insert.sql`), except an announcement's unread count, derived
/// for the page's rows from the read marker (`chat_unread`). A direct chat names the other participant; a
/// group its member count and its last message's sender. A member never sees a last message
/// from before they joined. Names match lower-cased the same way for every database locale
/// (`und-x-icu`). Presence is not read here: a standby cannot (see [`Presences`]). Public so
/// that the benchmark can `EXPLAIN` exactly this statement.
///
/// The page carries every column of the chat and of the caller's membership that the rows
/// need, so neither is looked up twice (S4: a third of the statement's index lookups). The
/// caller's settings are columns of their row: archived is derived from it and the chat's
/// activity (archived at a position no message has passed since; a closed chat gets none, so
/// it stays archived), with no write per message and no lookup per chat. The page answers
/// `archived` as asked ($8), which every row of it matches: selecting the derived value as well
/// made PostgreSQL evaluate its lookups twice a row (S4: a fifth of the list's buffers).
///
/// A direct chat's other participant is the other of its pair (`chat_headers.student_id`,
/// `teacher_id`), an inquiry's the other of its two members; the page reads that person once,
/// and derives from their row what the view would derive with lookups of its own: whether the
/// teacher left (`teacher_departed`: the other, or for the teacher the caller themselves) and
/// whether a teacher files the chat with the archived ones (its student left). One lookup per
/// chat where the membership, the person, the teacher and the student were four (a quarter
/// of the statement's time on a teacher's 500 chats).
pub const CHAT_LIST_SQL: &str = r#"SELECT h.head, d.*
    FROM log_head() h
    LEFT JOIN LATERAL (
        WITH page AS (
            SELECT c.id, x.active, c.kind, c.title, c.context, c.created_by, c.updated_at, c.closed_at,
                   c.participants_count, c.last_message_id, c.guardians_read, c.announcement, c.audience, c.recipients, c.subjects, c.children,
                   c.kind IN ('direct', 'family') AND CASE WHEN c.teacher_id = $1 THEN (SELECT s.deactivated_at IS NOT NULL FROM users s WHERE s.id = $1)
                                              ELSE u.deactivated_at IS NOT NULL END AS teacher_departed,
                   o.id AS other_id, u.name AS other_name, u.role AS other_role, u.deactivated_at IS NOT NULL AS other_departed,
                   me.joined_position, me.last_read_message_id, me.muted, $8::boolean AS archived
            FROM chat_participants me
            JOIN chat_headers c ON c.id = me.chat_id
            CROSS JOIN LATERAL chat_activity_as_of(c.id, c.active_position, $2) x
            CROSS JOIN LATERAL (SELECT CASE c.kind
                WHEN 'direct' THEN CASE WHEN c.teacher_id = $1 THEN c.student_id ELSE c.teacher_id END
                WHEN 'inquiry' THEN (SELECT p.user_id FROM chat_participants p WHERE p.chat_id = c.id AND p.user_id <> $1 LIMIT 1)
                WHEN 'family' THEN (SELECT p.user_id FROM chat_participants p WHERE p.chat_id = c.id AND p.user_id <> $1 LIMIT 1)
                END AS id) o
            LEFT JOIN users u ON u.id = o.id
            CROSS JOIN LATERAL (SELECT (x.active < me.archived_position) IS TRUE
                                       OR (me.role = 'teacher' AND c.kind = 'direct' AND u.deactivated_at IS NOT NULL) AS archived) a
            WHERE me.user_id = $1 AND me.joined_position <= $2 AND x.active IS NOT NULL AND a.archived = $8
              AND (x.active, c.id) < ($3, $4)
              AND ($5::text IS NULL OR c.kind = $5)
              AND ($6::text IS NULL OR lower(c.title COLLATE "und-x-icu") LIKE $6 OR lower(u.name COLLATE "und-x-icu") LIKE $6)
            ORDER BY x.active DESC, c.id DESC LIMIT $7)
        SELECT c.id, c.active, c.kind, c.title, c.context, c.created_by, c.updated_at, c.closed_at, c.participants_count,
               c.guardians_read, c.announcement, c.audience, c.recipients, c.subjects, c.children, c.teacher_departed, c.other_id, c.other_name,
               c.other_role, c.other_departed,
               NULL::bigint AS ward_id, NULL::text AS ward_name, NULL::boolean AS ward_only,
               m.id AS last_id, m.sender_id AS last_sender_id,
               CASE WHEN m.hidden_at IS NULL THEN m.content ELSE '' END AS last_content,
               CASE WHEN m.hidden_at IS NULL THEN m.attachments END AS last_attachments, m.created_at AS last_at,
               CASE WHEN m.purged_at IS NOT NULL THEN 'purged' WHEN m.hidden_at IS NOT NULL THEN 'hidden' END AS last_removed,
               CASE WHEN c.kind = 'group' THEN (SELECT s.name FROM users s WHERE s.id = m.sender_id) END
                   AS last_sender_name,
               n.unread, c.last_read_message_id AS last_read, c.muted, c.archived
        FROM page c
        CROSS JOIN LATERAL chat_unread(c.id, $1, c.last_read_message_id) n
        LEFT JOIN messages m ON m.id = c.last_message_id AND m.position >= c.joined_position
    ) d ON true
    ORDER BY d.active DESC, d.id DESC"#;

/// A page of every chat, as [`CHAT_LIST_SQL`] without a user ($1 is unused and NULL): the
/// search matches a group's title or any member's name; admins archive nothing ($8).
const ADMIN_CHAT_LIST_SQL: &str = r#"SELECT h.head, d.*
    FROM log_head() h
    LEFT JOIN LATERAL (
        WITH page AS (
            SELECT c.id, x.active FROM chats c
            CROSS JOIN LATERAL chat_activity_as_of(c.id, c.active_position, $2) x
            WHERE $1::bigint IS NULL AND x.active IS NOT NULL AND NOT $8::boolean
              AND (x.active, c.id) < ($3, $4)
              AND ($5::text IS NULL OR c.kind = $5)
              AND ($6::text IS NULL OR lower(c.title COLLATE "und-x-icu") LIKE $6 OR EXISTS (
                  SELECT 1 FROM chat_participants s JOIN users su ON su.id = s.user_id
                  WHERE s.chat_id = c.id AND lower(su.name COLLATE "und-x-icu") LIKE $6))
            ORDER BY x.active DESC, c.id DESC LIMIT $7)
        SELECT c.id, page.active, c.kind, c.title, c.context, c.created_by, c.updated_at, c.closed_at,
               c.participants_count, c.guardians_read, c.announcement, c.audience, c.recipients, c.subjects, c.children, c.teacher_departed, c.message_count AS messages_count,
               m.created_at AS last_message_at
        FROM page JOIN chat_headers c ON c.id = page.id LEFT JOIN messages m ON m.id = c.last_message_id
    ) d ON true
    ORDER BY d.active DESC, d.id DESC"#;

/// A page of chat-list rows: the log head they reflect, the rows and the next page's cursor.
struct Listed {
    head: i64,
    rows: Vec<tokio_postgres::Row>,
    next: Option<String>,
}

/// Runs a chat-list statement for `user` (None: every chat) and `page` on `client`;
/// `guardian_groups` ($9) for a guardian's ([`super::guardians::GUARDIAN_CHAT_LIST_SQL`]).
async fn list(
    client: &ReadClient,
    sql: &str,
    user: Option<i64>,
    page: &Page,
    guardian_groups: Option<bool>,
) -> Result<Listed> {
    let Cursor { head, active, id } = page.cursor;
    let kind = page.kind.map(ChatKind::as_str);
    let limit = page.limit.map(|l| l + 1);
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        vec![&user, &head, &active, &id, &kind, &page.pattern, &limit, &page.archived];
    if let Some(groups) = &guardian_groups {
        params.push(groups);
    }
    let (position, mut rows) = store::snapshot(client, sql, &params).await?;
    let next = page.next(position, &mut rows);
    Ok(Listed { head: position, rows, next })
}

/// The caller's chats, most recent activity first, a page at a time: for a direct chat the
/// other participant, for a group its title and member count; the last message and unread
/// count of each. Paging is stable: a chat that gets a message meanwhile is neither repeated
/// nor skipped (later pages rank chats as of the first page's log position; the event stream
/// brings what happened since). Without `limit` and `cursor`, every chat at once. The inbox by
/// default; `archived=true` lists the archived chats instead.
#[utoipa::path(get, path = "/api/chats", tag = "chats", params(ListQuery, MinPositionParam),
    responses((status = 422, body = ErrorBody, description = "a cursor this API did not give out"), (status = 200, body = ChatList, headers(("X-Event-Position" = i64, description = "the log position the page is at least as recent as"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list_chats(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(query): QueryParams<ListQuery>,
    MinPosition(min): MinPosition,
) -> Result<Snapshot<ChatList>> {
    state.limits.check(Limited::Read, user.id)?;
    summaries(&state, &user, query, min).await
}

/// `user`'s chats as `GET /api/chats` answers them, every rule applied (a member's last
/// message from after they joined, a guardian's children's chats and the record of their
/// read), at the log position `min` or later: the operation every surface lists chats with.
pub async fn summaries(state: &AppState, user: &AuthUser, query: ListQuery, min: i64) -> Result<Snapshot<ChatList>> {
    let page = Page::from_query(query)?;
    let min = page.min_position(min);
    let (listed, presences) = reading!(state.reads, min, |client| {
        let listed = match user.role {
            Role::Guardian => {
                let groups = state.school.guardian_groups().own_messages();
                list(&client, super::guardians::GUARDIAN_CHAT_LIST_SQL, Some(user.id), &page, Some(groups)).await?
            }
            _ => list(&client, CHAT_LIST_SQL, Some(user.id), &page, None).await?,
        };
        // Presence only for those the rule shows it to (`access::sees_presence`).
        let people: Vec<i64> = if crate::access::sees_presence(user.role) {
            listed.rows.iter().filter_map(|r| r.get("other_id")).collect()
        } else {
            vec![]
        };
        let presences = match client.source {
            Source::Primary => Presences::of_pooled(&client, &people).await?,
            Source::Standby => Presences::of_pooled(&*state.db.get().await?, &people).await?,
        };
        Ok((listed, presences))
    })?;
    let Listed { head: position, rows, next: next_cursor, .. } = listed;
    // A guardian's list quotes their child's chats (each one's last message): a read of each
    // chat it quotes, recorded once per listing before it is answered.
    if user.role == Role::Guardian {
        let mut quoted = Vec::new();
        for r in &rows {
            if r.try_get::<_, Option<i64>>("last_id")?.is_some() {
                quoted.push(r.try_get::<_, i64>("id")?);
            }
        }
        crate::access::record_read(&state.db, user, &quoted, crate::access::Via::ChatList).await?;
    }
    let chats = rows
        .into_iter()
        .map(|r| {
            let last_id: Option<i64> = r.get("last_id");
            let other: Option<i64> = r.get("other_id");
            let participant = match other {
                None => None,
                Some(id) => Some(presences.contact(Person {
                    id,
                    name: r.try_get("other_name")?,
                    role: r.try_get("other_role")?,
                })),
            };
            let ward = match r.try_get::<_, Option<i64>>("ward_id")? {
                Some(id) => Some(Person { id, name: r.try_get("ward_name")?, role: Role::Student }),
                None => None,
            };
            let last_kind = MessageType::of(&Attachment::list_from_row(&r, "last_attachments")?);
            Ok(ChatSummary {
                id: r.get("id"),
                header: ChatHeader::from_row(&r)?,
                participant,
                ward,
                ward_only: r.try_get::<_, Option<bool>>("ward_only")?.unwrap_or(false),
                last_message: last_id
                    .map(|id| -> Result<_, tokio_postgres::Error> {
                        Ok(LastMessage {
                            id,
                            sender_id: r.get("last_sender_id"),
                            sender_name: r.get("last_sender_name"),
                            content: r.get("last_content"),
                            kind: last_kind,
                            created_at: r.get("last_at"),
                            removed: crate::wire::removal(r.try_get("last_removed")?),
                        })
                    })
                    .transpose()?,
                unread_count: r.get("unread"),
                last_read_message_id: r.get("last_read"),
                muted: r.try_get("muted")?,
                participant_departed: r.try_get::<_, Option<bool>>("other_departed")?.unwrap_or(false),
                archived: r.try_get("archived")?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(Snapshot(position, ChatList { chats, next_cursor }))
}

/// Every chat with its current members, message count and last activity (admins only), paged
/// as `GET /api/chats` (without `limit` and `cursor`, all of them).
#[utoipa::path(get, path = "/api/admin/chats", tag = "chats", params(ListQuery, MinPositionParam),
    responses((status = 422, body = ErrorBody, description = "a cursor this API did not give out"), (status = 200, body = AdminChatList, headers(("X-Event-Position" = i64, description = "the log position the page is at least as recent as"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list_all_chats(
    State(state): State<AppState>,
    Admin(user): Admin,
    QueryParams(query): QueryParams<ListQuery>,
    MinPosition(min): MinPosition,
) -> Result<Snapshot<AdminChatList>> {
    state.limits.check(Limited::Read, user.id)?;
    every_chat(&state, query, min).await
}

/// Every chat as `GET /api/admin/chats` answers an admin (who may call it: the caller's to
/// check): headers, members and activity, never a message's words.
pub async fn every_chat(state: &AppState, query: ListQuery, min: i64) -> Result<Snapshot<AdminChatList>> {
    let page = Page::from_query(query)?;
    let min = page.min_position(min);
    let (listed, people) = reading!(state.reads, min, |client| {
        let listed = list(&client, ADMIN_CHAT_LIST_SQL, None, &page, None).await?;
        let ids: Vec<i64> = listed.rows.iter().map(|r| r.get("id")).collect();
        let people = client
            .query(
                "SELECT p.chat_id, u.id, u.name, u.role FROM chat_participants p
                 JOIN users u ON u.id = p.user_id WHERE p.chat_id = ANY($1) ORDER BY p.chat_id, p.role, u.id",
                &[&ids],
            )
            .await?;
        Ok((listed, people))
    })?;
    let Listed { head: position, rows: chats, next: next_cursor, .. } = listed;
    let mut by_chat: HashMap<i64, Vec<Person>> = HashMap::new();
    for r in people {
        by_chat.entry(r.get("chat_id")).or_default().push(Person {
            id: r.get("id"),
            name: r.get("name"),
            role: r.try_get("role")?,
        });
    }
    let chats = chats
        .into_iter()
        .map(|r| {
            let id: i64 = r.get("id");
            Ok(AdminChat {
                id,
                header: ChatHeader::from_row(&r)?,
                participants: by_chat.remove(&id).unwrap_or_default(),
                messages_count: r.get("messages_count"),
                last_message_at: r.get("last_message_at"),
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(Snapshot(position, AdminChatList { chats, next_cursor }))
}
