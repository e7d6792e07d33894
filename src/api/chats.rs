//! Chat lists: a participant's own chats, and every chat for admins.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use super::Snapshot;
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::log::store;
use crate::views::{AdminChat, ChatHeader, ChatSummary, Contact, LastMessage, Person};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/chats", get(list_chats)).route("/api/admin/chats", get(list_all_chats))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatList {
    pub chats: Vec<ChatSummary>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminChatList {
    pub chats: Vec<AdminChat>,
}

/// A participant's chats ($1: the user), most recent activity first, with the log head (see
/// [`store::with_head`]). The last message and the unread count are read models kept by the
/// events trigger (`sql/V4__chat_read_models.sql`): one row each per chat, nothing counted
/// here. A direct chat names the other participant; a group its member count and its last
/// message's sender. A member never sees a last message from before they joined. Public so
/// that the benchmark can `EXPLAIN` exactly this statement.
pub static CHAT_LIST_SQL: LazyLock<String> = LazyLock::new(|| {
    store::with_head(
        &format!(
            "SELECT c.id, {}, o.user_id AS other_id, u.name AS other_name, u.role AS other_role, {},
                m.id AS last_id, m.sender_id AS last_sender_id, m.content AS last_content,
                m.created_at AS last_at,
                CASE WHEN c.kind <> 'direct' THEN (SELECT s.name FROM users s WHERE s.id = m.sender_id) END
                    AS last_sender_name,
                me.unread_count AS unread, me.last_read_message_id AS last_read,
                coalesce(m.created_at, c.created_at) AS active_at
         FROM chat_participants me
         JOIN chats c ON c.id = me.chat_id
         LEFT JOIN chat_participants o ON c.kind = 'direct' AND o.chat_id = c.id AND o.user_id <> me.user_id
         LEFT JOIN users u ON u.id = o.user_id
         LEFT JOIN messages m ON m.id = c.last_message_id AND m.position >= me.joined_position
         WHERE me.user_id = $1",
            ChatHeader::COLUMNS,
            Contact::columns("o.user_id")
        ),
        "d.active_at DESC, d.id DESC",
    )
});

/// Every chat with its activity, most recent first, with the log head (admins).
static ADMIN_CHAT_LIST_SQL: LazyLock<String> = LazyLock::new(|| {
    store::with_head(
        &format!(
            "SELECT c.id, {}, c.message_count AS messages_count, m.created_at AS last_message_at,
                coalesce(m.created_at, c.created_at) AS active_at
         FROM chats c LEFT JOIN messages m ON m.id = c.last_message_id",
            ChatHeader::COLUMNS
        ),
        "d.active_at DESC, d.id DESC",
    )
});

/// The caller's chats: for a direct chat the other participant, for a group its title and
/// member count; the last message and unread count of each.
#[utoipa::path(get, path = "/api/chats", tag = "chats",
    responses((status = 200, body = ChatList), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list_chats(State(state): State<AppState>, user: AuthUser) -> Result<Snapshot<ChatList>> {
    let client = state.db.get().await?;
    let (position, rows) = store::snapshot(&client, &CHAT_LIST_SQL, &[&user.id]).await?;
    let chats = rows
        .into_iter()
        .map(|r| {
            let last_id: Option<i64> = r.get("last_id");
            let other: Option<i64> = r.get("other_id");
            let participant = match other {
                None => None,
                Some(id) => Some(Contact::from_row(
                    Person { id, name: r.try_get("other_name")?, role: r.try_get("other_role")? },
                    &r,
                )?),
            };
            Ok(ChatSummary {
                id: r.get("id"),
                header: ChatHeader::from_row(&r)?,
                participant,
                last_message: last_id.map(|id| LastMessage {
                    id,
                    sender_id: r.get("last_sender_id"),
                    sender_name: r.get("last_sender_name"),
                    content: r.get("last_content"),
                    created_at: r.get("last_at"),
                }),
                unread_count: r.get("unread"),
                last_read_message_id: r.get("last_read"),
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(Snapshot(position, ChatList { chats }))
}

/// Every chat with its current members, message count and last activity (admins only).
#[utoipa::path(get, path = "/api/admin/chats", tag = "chats",
    responses((status = 200, body = AdminChatList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list_all_chats(State(state): State<AppState>, user: AuthUser) -> Result<Snapshot<AdminChatList>> {
    if !user.is_admin() {
        return Err(AppError::Forbidden("only admins can list every chat".into()));
    }
    let client = state.db.get().await?;
    let (position, chats) = store::snapshot(&client, &ADMIN_CHAT_LIST_SQL, &[]).await?;
    let people = client
        .query(
            "SELECT p.chat_id, u.id, u.name, u.role FROM chat_participants p
             JOIN users u ON u.id = p.user_id ORDER BY p.chat_id, p.role, u.id",
            &[],
        )
        .await?;
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
    Ok(Snapshot(position, AdminChatList { chats }))
}
