//! The marketplace chat (`/api/chat`, `/health`), read as a school, for pages written to that
//! contract (docs/dialect-marketplace.md). A listing (`iphone_id`) is an inquiry link its
//! teacher listed on the marketplace on purpose (`listed`: only such a link opens by its number
//! rather than its token), the seller is that teacher, and a buyer is either an anonymous
//! visitor known by the random UUID their page keeps (the guest the core opened their inquiry
//! chat with) or a student, whose chat is the pair's lesson chat. People sign in with the
//! school's cookie; a visitor's UUID is their credential, `?user_id=`, and only on these routes:
//! kept only as its hash, shown to nobody but them (the seller and admins see a public UUID).
//!
//! - `chats.rs`: opening a chat, a buyer's or a seller's list, the seller's grouped inbox,
//!   deleting (the seller's archive);
//! - `messages.rs`: a chat's messages by offset, marking it read;
//! - `socket.rs`: `GET /api/chat/ws/{chat_id}`, a hub connection fed like an event stream.
//!
//! Text goes out HTML-escaped (`message_text`, `last_message`): this contract's pages insert it
//! as HTML. The log and the core keep it as written.

use axum::extract::{FromRequestParts, Query, RawPathParams};
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::inquiries::listings;
use crate::auth::AuthUser;
use crate::{AppError, AppState, Result};

mod chats;
mod messages;
mod socket;

pub use chats::{Chat, OpenChat};
pub use messages::Message;

/// The routes of `/api/chat` and `/health`. A buyer's are open to guests (a visitor's UUID
/// stands for one); a seller's inbox and deleting are not (a guest's chat is theirs to keep).
pub fn router() -> Router<AppState> {
    let buyers = chats::buyers().merge(messages::router()).merge(socket::router());
    Router::new().merge(crate::access::for_guests(buyers)).merge(chats::sellers()).route("/health", get(health))
}

/// The dialect's routes, for the OpenAPI document (the socket's frames are described in
/// docs/dialect-marketplace.md).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        health,
        chats::open,
        chats::mine,
        chats::grouped,
        chats::remove,
        messages::messages,
        messages::read,
        socket::connect
    ),
    components(schemas(Health))
)]
pub struct ApiDoc;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MarketplaceHealth)]
pub struct Health {
    pub status: &'static str,
    pub service: &'static str,
}

/// This replica answers (no credential): `{"status": "healthy", "service": "chat"}`. Whether it
/// can serve is `/readyz`'s question.
#[utoipa::path(get, path = "/health", operation_id = "marketplace_health", tag = "marketplace", security(()),
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "healthy", service: "chat" })
}

/// `?user_id=`: a visitor's UUID, or the signed-in person's id.
#[derive(Debug, Deserialize)]
struct Named {
    user_id: Option<String>,
}

/// The caller: a visitor by the UUID in `?user_id=` (the guest of the chat the path names: a
/// UUID is a visitor's credential for their own chats only), or the person the school's cookie
/// (or a Bearer token) names, whom `?user_id=`, when given, must name too.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: AuthUser,
    /// The visitor's UUID, when that is how they came.
    pub visitor: Option<Uuid>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let named = Query::<Named>::try_from_uri(&parts.uri).ok().and_then(|q| q.0.user_id);
        let Some(uuid) = named.as_deref().and_then(|n| Uuid::parse_str(n).ok()) else {
            let user = AuthUser::from_request_parts(parts, state).await?;
            if named.is_some_and(|n| n != user.id.to_string()) {
                return Err(AppError::Forbidden("user_id names somebody other than the signed-in person".into()));
            }
            return Ok(Self { user, visitor: None });
        };
        let chat = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|p| p.iter().find(|(k, _)| *k == "chat_id").and_then(|(_, v)| v.parse::<i64>().ok()))
            .ok_or_else(|| AppError::Unauthorized("sign in: a visitor's id opens only their own chats".into()))?;
        let user = listings::visitor(state, parts, uuid, chat).await?;
        Ok(Self { user, visitor: Some(uuid) })
    }
}

/// Text as this contract's pages may insert it into HTML: the characters that would start
/// markup escaped, the text otherwise as written.
fn escaped(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// How one chat's senders are named to one caller: its visitor (if an anonymous buyer opened
/// it) by the UUID they came with when they are the caller, by their public UUID to anybody
/// else (the UUID they came with is their credential); anyone else by their id.
#[derive(Debug, Clone, Copy)]
struct Names {
    /// The visitor's guest id, and the UUID they are named by.
    visitor: Option<(i64, Uuid)>,
}

impl Names {
    async fn of(state: &AppState, chat: i64, caller: &Caller) -> Result<Self> {
        let Some((guest, public)) = listings::visitor_of(state, chat).await? else { return Ok(Self { visitor: None }) };
        let named = match caller.visitor {
            Some(own) if caller.user.id == guest => own,
            _ => public,
        };
        Ok(Self { visitor: Some((guest, named)) })
    }

    /// A sender as this contract names them.
    fn sender(&self, id: i64) -> String {
        match self.visitor {
            Some((guest, uuid)) if guest == id => uuid.to_string(),
            _ => id.to_string(),
        }
    }
}
