//! Chat lists: a participant's own chats, and every chat for admins.

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use super::Snapshot;
use crate::auth::{AuthUser, Role};
use crate::error::ErrorBody;
use crate::events;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/chats", get(list_chats)).route("/api/admin/chats", get(list_all_chats))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastMessage {
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One chat as its participant sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatSummary {
    pub id: i64,
    /// The other participant.
    pub participant: Person,
    pub last_message: Option<LastMessage>,
    /// Messages from others after the caller's read marker.
    pub unread_count: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatList {
    pub chats: Vec<ChatSummary>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminChat {
    pub id: i64,
    pub participants: Vec<Person>,
    /// Messages not deleted.
    pub messages_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_message_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminChatList {
    pub chats: Vec<AdminChat>,
}

fn role(value: String) -> Result<Role> {
    value.parse().map_err(AppError::Internal)
}

/// A participant's chats ($1: the user; $2: one chat only, or NULL), most recent activity
/// first. Public so that the benchmark can `EXPLAIN` exactly this statement.
pub const CHAT_LIST_SQL: &str = "SELECT c.id, o.user_id AS other_id, u.name AS other_name, u.role AS other_role,
        lm.content AS last_content, lm.created_at AS last_at,
        (SELECT count(*) FROM messages m
         WHERE m.chat_id = c.id AND NOT m.is_deleted
           AND m.id > me.last_read_message_id AND m.sender_id <> me.user_id) AS unread
 FROM chat_participants me
 JOIN chats c ON c.id = me.chat_id
 JOIN chat_participants o ON o.chat_id = c.id AND o.user_id <> me.user_id
 JOIN users u ON u.id = o.user_id
 LEFT JOIN LATERAL (
     SELECT m.content, m.created_at FROM messages m
     WHERE m.chat_id = c.id AND NOT m.is_deleted
     ORDER BY m.id DESC LIMIT 1
 ) lm ON true
 WHERE me.user_id = $1 AND ($2::bigint IS NULL OR c.id = $2)
 ORDER BY coalesce(lm.created_at, c.created_at) DESC, c.id DESC";

/// The chats of `user_id` (or just `only`), most recent activity first. One query: the last
/// message and the unread count come from the partial index on visible messages.
pub async fn chat_summaries(client: &impl GenericClient, user_id: i64, only: Option<i64>) -> Result<Vec<ChatSummary>> {
    let rows = client.query(CHAT_LIST_SQL, &[&user_id, &only]).await?;
    rows.into_iter()
        .map(|r| {
            let last_content: Option<String> = r.get("last_content");
            Ok(ChatSummary {
                id: r.get("id"),
                participant: Person {
                    id: r.get("other_id"),
                    name: r.get("other_name"),
                    role: role(r.get("other_role"))?,
                },
                last_message: last_content.map(|content| LastMessage { content, created_at: r.get("last_at") }),
                unread_count: r.get("unread"),
            })
        })
        .collect()
}

/// The caller's chats with the other participant, last message and unread count.
#[utoipa::path(get, path = "/api/chats", tag = "chats",
    responses((status = 200, body = ChatList), (status = 401, body = ErrorBody)))]
pub async fn list_chats(State(state): State<AppState>, user: AuthUser) -> Result<Snapshot<ChatList>> {
    let client = state.db.get().await?;
    let position = events::head(&**client).await?;
    Ok(Snapshot(position, ChatList { chats: chat_summaries(&**client, user.id, None).await? }))
}

/// Every chat with both participants, message count and last activity (admins only).
#[utoipa::path(get, path = "/api/admin/chats", tag = "chats",
    responses((status = 200, body = AdminChatList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_all_chats(State(state): State<AppState>, user: AuthUser) -> Result<Snapshot<AdminChatList>> {
    if !user.is_admin() {
        return Err(AppError::Forbidden("only admins can list every chat".into()));
    }
    let client = state.db.get().await?;
    let position = events::head(&**client).await?;
    let chats = client
        .query(
            "SELECT c.id, s.messages_count, s.last_message_at
             FROM chats c
             CROSS JOIN LATERAL (
                 SELECT count(*) AS messages_count, max(m.created_at) AS last_message_at
                 FROM messages m WHERE m.chat_id = c.id AND NOT m.is_deleted
             ) s
             ORDER BY coalesce(s.last_message_at, c.created_at) DESC, c.id DESC",
            &[],
        )
        .await?;
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
            role: role(r.get("role"))?,
        });
    }
    let chats = chats
        .into_iter()
        .map(|r| {
            let id: i64 = r.get("id");
            AdminChat {
                id,
                participants: by_chat.remove(&id).unwrap_or_default(),
                messages_count: r.get("messages_count"),
                last_message_at: r.get("last_message_at"),
            }
        })
        .collect();
    Ok(Snapshot(position, AdminChatList { chats }))
}
