//! Chats: opened from a listing, listed for a buyer or a seller, grouped by listing for the
//! seller's inbox, deleted (the seller's archive).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Caller, escaped};
use crate::access::Writer;
use crate::api::inquiries::listings::{self, Buyer, ListedChat, Listing};
use crate::auth::{AuthUser, origin};
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::peer::ClientAddress;
use crate::{AppError, AppState, Result};

/// The routes a buyer uses: opening a chat, their list.
pub fn buyers() -> Router<AppState> {
    Router::new().route("/api/chat/chats", post(open)).route("/api/chat/chats/my", get(mine))
}

/// The routes only people use: the seller's inbox, and deleting, which is the core's archive
/// and as open to suspended people as it is.
pub fn sellers() -> Router<AppState> {
    let delete = crate::access::for_suspended(Router::new().route("/api/chat/chats/{chat_id}", delete(remove)));
    Router::new().route("/api/chat/chats/seller/{seller_id}/grouped", get(grouped)).merge(delete)
}

/// What a listing's "Chat" button sends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = MarketplaceOpenChat)]
pub struct OpenChat {
    /// The listing: one of the seller's inquiry links, listed on the marketplace.
    pub iphone_id: i64,
    /// The teacher whose listing it is.
    pub seller_id: i64,
    /// An anonymous buyer's random UUID (version 4, kept by their page), or a student's id.
    #[schema(value_type = String)]
    pub buyer_id: Value,
    pub buyer_is_registered: bool,
}

/// A chat as this contract shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MarketplaceChat)]
pub struct Chat {
    pub id: i64,
    pub iphone_id: i64,
    pub seller_id: i64,
    /// A visitor's UUID (the one they came with, to them; their public one, to the seller), or
    /// the student's id (decimal).
    pub buyer_id: String,
    pub buyer_is_registered: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Its last activity.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// A chat as shown to its visitor `own` (the UUID they came with), or to anybody else (a
/// visitor by their public UUID).
fn chat(listed: &ListedChat, own: Option<Uuid>) -> Chat {
    let (buyer_id, buyer_is_registered) = match listed.buyer {
        Buyer::Visitor { public, .. } => (own.unwrap_or(public).to_string(), false),
        Buyer::Student(id) => (id.to_string(), true),
    };
    Chat {
        id: listed.chat_id,
        iphone_id: listed.listing,
        seller_id: listed.seller,
        buyer_id,
        buyer_is_registered,
        created_at: listed.created_at,
        updated_at: listed.updated_at,
    }
}

fn created(new: bool) -> StatusCode {
    if new { StatusCode::CREATED } else { StatusCode::OK }
}

/// Opens the buyer's chat about a listing, or finds the one they have: 201 new, 200 found.
/// A listing is an inquiry link its teacher listed on the marketplace. An anonymous buyer
/// (`buyer_is_registered: false`, `buyer_id` a random UUID their page keeps) gets an inquiry
/// chat with the seller, one per (listing, UUID), in the teacher's chat list, limited per client
/// address before anything is looked up, as the core's inquiries are, and refused to a visitor
/// the teacher blocked; a student (`true`, signed in, `buyer_id` their id) gets the pair's
/// lesson chat, which only a completed lesson opens (403 without one). A listing that is not
/// the seller's, not listed, withdrawn or unknown: one 404.
#[utoipa::path(post, path = "/api/chat/chats", operation_id = "marketplace_open", tag = "marketplace",
    request_body = OpenChat, security((), ("cookie" = [])),
    responses((status = 201, body = Chat), (status = 200, body = Chat, description = "the buyer's chat about this listing, opened before"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "a registered buyer without a completed lesson with the seller, or not the signed-in student; a visitor the seller blocked"),
              (status = 404, body = ErrorBody, description = "no such listing of this seller on the marketplace"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    signed_in: Result<AuthUser, AppError>,
    JsonBody(body): JsonBody<OpenChat>,
) -> Result<(StatusCode, Json<Chat>)> {
    // A page elsewhere must not open chats in a visitor's name.
    if headers.contains_key(axum::http::header::ORIGIN) {
        origin::check(&headers, &state.config.auth.allowed_origins)?;
    }
    let listing = Listing { id: body.iphone_id, seller: body.seller_id };
    if body.buyer_is_registered {
        let named = match &body.buyer_id {
            Value::String(id) => id.parse::<i64>().ok(),
            Value::Number(id) => id.as_i64(),
            _ => None,
        };
        let (new, listed) = listings::open_for_student(&state, &signed_in?, named, listing).await?;
        return Ok((created(new), Json(chat(&listed, None))));
    }
    let uuid = body.buyer_id.as_str().and_then(|id| Uuid::parse_str(id).ok());
    let (new, listed) = listings::open_for_visitor(&state, listing, uuid, address).await?;
    Ok((created(new), Json(chat(&listed, uuid))))
}

/// `?user_id=&is_seller=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Mine {
    /// A visitor's UUID, or the signed-in person's id.
    pub user_id: Option<String>,
    /// The chats about the caller's listings (a teacher, signed in), not those they opened.
    pub is_seller: Option<bool>,
}

/// The caller's chats, newest activity first, shaped as opening one answers: a buyer's (a
/// visitor by `?user_id=<uuid>`, a student signed in), or with `is_seller=true` a seller's
/// (signed in: a UUID sells nothing), but those they deleted.
#[utoipa::path(get, path = "/api/chat/chats/my", operation_id = "marketplace_my", tag = "marketplace", params(Mine),
    security(("marketplace_visitor" = []), ("cookie" = [])),
    responses((status = 200, body = [Chat]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "user_id names somebody other than the signed-in person")))]
#[tracing::instrument(skip_all)]
pub async fn mine(
    State(state): State<AppState>,
    signed_in: Result<AuthUser, AppError>,
    QueryParams(query): QueryParams<Mine>,
) -> Result<Json<Vec<Chat>>> {
    let visitor = query.user_id.as_deref().and_then(|id| Uuid::parse_str(id).ok());
    let seller = query.is_seller.unwrap_or(false);
    let chats = match visitor {
        Some(_) if seller => return Err(AppError::Forbidden("a visitor sells nothing: a seller signs in".into())),
        Some(uuid) => listings::bought_by_visitor(&state, uuid).await?.iter().map(|c| chat(c, Some(uuid))).collect(),
        None => {
            let user = signed_in?;
            if query.user_id.is_some_and(|id| id != user.id.to_string()) {
                return Err(AppError::Forbidden("user_id names somebody other than the signed-in person".into()));
            }
            if seller {
                listings::sold(&state, &user, user.id).await?.iter().map(|s| chat(&s.chat, None)).collect()
            } else {
                listings::bought_by(&state, &user).await?.iter().map(|c| chat(c, None)).collect()
            }
        }
    };
    Ok(Json(chats))
}

/// A chat in the seller's grouped inbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MarketplaceInboxChat)]
pub struct InboxChat {
    pub id: i64,
    /// The visitor's public UUID (not the one they came with: that is their credential), or
    /// the student's id (decimal).
    pub buyer_id: String,
    /// The seller's unread messages in it.
    pub unread_count: i64,
    /// HTML-escaped; null before the first message.
    pub last_message: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_message_time: Option<OffsetDateTime>,
}

/// The seller's chats grouped by listing (`{"<iphone_id>": [...]}`), newest activity first in
/// each, with the seller's unread counts; those they deleted left out. Their own (signed in);
/// an admin reads any seller's; anyone else 403.
#[utoipa::path(get, path = "/api/chat/chats/seller/{seller_id}/grouped", operation_id = "marketplace_grouped",
    tag = "marketplace", params(("seller_id" = i64, Path)), security(("cookie" = [])),
    responses((status = 200, body = std::collections::BTreeMap<String, Vec<InboxChat>>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "another seller's inbox")))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn grouped(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(seller): PathParam<i64>,
) -> Result<Json<std::collections::BTreeMap<String, Vec<InboxChat>>>> {
    let mut inbox = std::collections::BTreeMap::<String, Vec<InboxChat>>::new();
    for sold in listings::sold(&state, &user, seller).await? {
        let chat = chat(&sold.chat, None);
        inbox.entry(chat.iphone_id.to_string()).or_default().push(InboxChat {
            id: chat.id,
            buyer_id: chat.buyer_id,
            unread_count: sold.unread_count,
            last_message: sold.last_message.as_deref().map(escaped),
            last_message_time: sold.last_message_time,
        });
    }
    Ok(Json(inbox))
}

/// The seller deletes the chat: it leaves their `grouped` and `my` lists (the core's archive:
/// a new message brings it back), the buyer keeps it, admins still read it, nothing is removed.
/// 204. The core's archive decides who may: the chat's people (a student hides it for
/// themselves the same way), never an admin or a stranger (403).
#[utoipa::path(delete, path = "/api/chat/chats/{chat_id}", operation_id = "marketplace_delete", tag = "marketplace",
    params(("chat_id" = i64, Path)), security(("cookie" = [])),
    responses((status = 204, description = "gone from the seller's lists"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not the chat's seller"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = caller.user.id, chat_id = chat_id))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    let writer = Writer::admit(&state, caller.user)?;
    crate::api::chat_settings::archive(State(state), writer, PathParam(chat_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
