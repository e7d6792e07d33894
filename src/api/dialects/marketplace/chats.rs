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
use crate::auth::{AuthUser, Role, origin};
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::limits::Limited;
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

/// A visitor's chat about listing $1, by the key of their UUID ($2).
const VISITOR_SQL: &str = "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_key IS NOT NULL AS anonymous,
           m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    WHERE m.link_id = $1 AND m.buyer_key = $2";

/// A student's chat about listing $1, by their id ($2).
const STUDENT_SQL: &str = "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_key IS NOT NULL AS anonymous,
           m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    WHERE m.link_id = $1 AND m.buyer_id = $2 AND m.buyer_key IS NULL";

/// A visitor's chats by the key of their UUID ($1), newest activity first: only those whose
/// inquiry is open, as only those does their UUID open.
const VISITOR_BOUGHT_SQL: &str =
    "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_key IS NOT NULL AS anonymous,
           m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    JOIN chats k ON k.id = m.chat_id
    WHERE m.buyer_key = $1 AND k.closed_at IS NULL
    ORDER BY c.updated_at DESC, m.chat_id DESC";

/// A student's chats by their id ($1), newest activity first.
const STUDENT_BOUGHT_SQL: &str =
    "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_key IS NOT NULL AS anonymous,
           m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    WHERE m.buyer_id = $1 AND m.buyer_key IS NULL
    ORDER BY c.updated_at DESC, m.chat_id DESC";

/// Seller $1's chats, but those they deleted (archived, and no message since), newest activity
/// first, each with the seller's unread count and the last message they can see.
const SOLD_SQL: &str = "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_key IS NOT NULL AS anonymous,
           m.buyer_public, m.created_at, c.updated_at,
           me.unread_count, last.content AS last_message, last.created_at AS last_message_time
    FROM marketplace_chats m
    JOIN inquiry_links l ON l.id = m.link_id AND l.host_id = $1
    JOIN chat_headers c ON c.id = m.chat_id
    JOIN chats k ON k.id = m.chat_id
    JOIN chat_participants me ON me.chat_id = m.chat_id AND me.user_id = $1
    LEFT JOIN LATERAL (SELECT x.content, x.created_at FROM messages x
                       WHERE x.chat_id = m.chat_id AND NOT x.is_deleted AND x.hidden_at IS NULL
                       ORDER BY x.id DESC LIMIT 1) last ON true
    WHERE (k.active_position < me.archived_position) IS NOT TRUE
    ORDER BY c.updated_at DESC, m.chat_id DESC";

/// A chat as shown to its visitor `own` (the UUID they came with), or to anybody else (a
/// visitor by their public UUID).
fn chat(row: &tokio_postgres::Row, own: Option<Uuid>) -> Result<Chat> {
    let anonymous: bool = row.try_get("anonymous")?;
    let buyer_id = match (anonymous, own) {
        (true, Some(own)) => own.to_string(),
        (true, None) => row.try_get::<_, Uuid>("buyer_public")?.to_string(),
        (false, _) => row.try_get::<_, i64>("buyer_id")?.to_string(),
    };
    Ok(Chat {
        id: row.try_get("chat_id")?,
        iphone_id: row.try_get("link_id")?,
        seller_id: row.try_get("host_id")?,
        buyer_id,
        buyer_is_registered: !anonymous,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The token of listing `iphone_id` if it is seller `seller_id`'s, listed and not withdrawn:
/// one 404 for every other case, so that a listing's seller is learnt only from the listing.
async fn listing(client: &impl tokio_postgres::GenericClient, body: &OpenChat) -> Result<String> {
    let sql = "SELECT token FROM inquiry_links WHERE id = $1 AND host_id = $2 AND listed AND revoked_at IS NULL";
    let row = client.query_opt(sql, &[&body.iphone_id, &body.seller_id]).await?;
    let row = row.ok_or_else(|| {
        AppError::NotFound(format!("seller {} has no listing {} on the marketplace", body.seller_id, body.iphone_id))
    })?;
    Ok(row.try_get(0)?)
}

/// An anonymous buyer's `buyer_id`: the random UUID (version 4) their page keeps. Anything
/// else, the nil UUID and UUIDs made from names or clocks included, could be another's.
fn visitor_uuid(id: &Value) -> Result<Uuid> {
    id.as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .filter(|uuid| {
            uuid.get_version() == Some(uuid::Version::Random) && uuid.get_variant() == uuid::Variant::RFC4122
        })
        .ok_or_else(|| {
            AppError::BadRequest("an anonymous buyer's buyer_id is the random UUID (version 4) their page keeps".into())
        })
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
    if body.buyer_is_registered {
        return registered(&state, signed_in?, &body).await;
    }
    let uuid = visitor_uuid(&body.buyer_id)?;
    // Limited before anything is looked up: past it, a visitor learns nothing of listings.
    state.limits.check_inquiry_address(address)?;
    let mut client = state.db.get().await?;
    let token = listing(&**client, &body).await?;
    let (link, key) = (body.iphone_id, super::key(&uuid));
    if let Some(found) = client.query_opt(VISITOR_SQL, &[&link, &key]).await? {
        // A visitor the teacher blocked is refused, not handed back their closed chat.
        crate::api::inquiries::refuse_blocked(&state, &**client, link, Some(found.try_get("buyer_id")?), address)
            .await?;
        return Ok((StatusCode::OK, Json(chat(&found, Some(uuid))?)));
    }
    let address_hash = crate::api::inquiries::refuse_blocked(&state, &**client, link, None, address).await?;
    state.limits.check(Limited::InquiryOpen, link)?;
    let tx = client.transaction().await?;
    let name = format!("Visitor {}", &uuid.simple().to_string()[..8]);
    let opened = crate::api::inquiries::open_chat(&state, &tx, (&token, link), &name, &address_hash).await?;
    let (chat_id, guest) = opened.ok_or_else(|| AppError::NotFound("the listing was withdrawn".into()))?;
    // Two clicks at once: the first chat stands, the second's guest and chat are rolled back.
    let inserted = tx
        .execute(
            "INSERT INTO marketplace_chats (link_id, buyer_id, buyer_key, buyer_public, chat_id)
             VALUES ($1, $2, $3, gen_random_uuid(), $4) ON CONFLICT DO NOTHING",
            &[&link, &guest, &key, &chat_id],
        )
        .await?;
    if inserted == 0 {
        drop(tx);
        let found = client.query_one(VISITOR_SQL, &[&link, &key]).await?;
        return Ok((StatusCode::OK, Json(chat(&found, Some(uuid))?)));
    }
    let row = tx.query_one(VISITOR_SQL, &[&link, &key]).await?;
    tx.commit().await?;
    tracing::info!(guest, chat_id, link, "a marketplace visitor opened a chat");
    Ok((StatusCode::CREATED, Json(chat(&row, Some(uuid))?)))
}

/// A student's chat about a listing: the pair's lesson chat, or none (403).
async fn registered(state: &AppState, student: AuthUser, body: &OpenChat) -> Result<(StatusCode, Json<Chat>)> {
    state.limits.check(Limited::write_by(student.role), student.id)?;
    let named = match &body.buyer_id {
        Value::String(id) => id.parse::<i64>().ok(),
        Value::Number(id) => id.as_i64(),
        _ => None,
    };
    if named != Some(student.id) || student.role != Role::Student {
        return Err(AppError::Forbidden("a registered buyer is the signed-in student, by their id".into()));
    }
    let client = state.db.get().await?;
    listing(&**client, body).await?;
    // The pair's lesson chat, or none: a listing opens no chat a lesson has not.
    let chat_id = crate::api::direct::direct_chat(state, student.id, body.seller_id)
        .await
        .map_err(|e| if e.status() == StatusCode::NOT_FOUND { AppError::Forbidden(e.to_string()) } else { e })?;
    let inserted = client
        .execute(
            "INSERT INTO marketplace_chats (link_id, buyer_id, chat_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&body.iphone_id, &student.id, &chat_id],
        )
        .await?;
    let row = client.query_one(STUDENT_SQL, &[&body.iphone_id, &student.id]).await?;
    let status = if inserted == 1 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(chat(&row, None)?)))
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
    let client = state.db.get().await?;
    let (rows, own) = match (visitor, query.is_seller.unwrap_or(false)) {
        (Some(_), true) => return Err(AppError::Forbidden("a visitor sells nothing: a seller signs in".into())),
        (Some(uuid), false) => {
            let rows = client.query(VISITOR_BOUGHT_SQL, &[&super::key(&uuid)]).await?;
            // Their guest's allowance: an unknown UUID costs one look in an index, and gets [].
            if let Some(row) = rows.first() {
                state.limits.check(Limited::Read, row.try_get("buyer_id")?)?;
            }
            (rows, Some(uuid))
        }
        (None, seller) => {
            let user = signed_in?;
            if query.user_id.is_some_and(|id| id != user.id.to_string()) {
                return Err(AppError::Forbidden("user_id names somebody other than the signed-in person".into()));
            }
            state.limits.check(Limited::Read, user.id)?;
            let sql = if seller { SOLD_SQL } else { STUDENT_BOUGHT_SQL };
            (client.query(sql, &[&user.id]).await?, None)
        }
    };
    Ok(Json(rows.iter().map(|row| chat(row, own)).collect::<Result<_>>()?))
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
    crate::access::own_or_admin(&user, seller, "this is another seller's inbox")?;
    state.limits.check(Limited::Read, user.id)?;
    let rows = state.db.get().await?.query(SOLD_SQL, &[&seller]).await?;
    // An admin reading another's inbox reads each chat it quotes: recorded before the answer.
    let mut quoted = Vec::new();
    for row in &rows {
        if row.try_get::<_, Option<String>>("last_message")?.is_some() {
            quoted.push(row.try_get::<_, i64>("chat_id")?);
        }
    }
    crate::access::record_read(&state.db, &user, &quoted, crate::access::Via::ChatList).await?;
    let mut inbox = std::collections::BTreeMap::<String, Vec<InboxChat>>::new();
    for row in &rows {
        let chat = chat(row, None)?;
        let last: Option<String> = row.try_get("last_message")?;
        inbox.entry(chat.iphone_id.to_string()).or_default().push(InboxChat {
            id: chat.id,
            buyer_id: chat.buyer_id,
            unread_count: row.try_get("unread_count")?,
            last_message: last.as_deref().map(escaped),
            last_message_time: row.try_get("last_message_time")?,
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
