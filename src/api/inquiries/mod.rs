//! Inquiry chats: a visitor without an account (a prospective student, a parent) asks a teacher
//! about a course through the teacher's inquiry link.
//!
//! A teacher (or an admin, naming the teacher) creates a link for a context; the link's token is
//! the only secret. Opening it (`GET /api/inquiry/{token}`, no account) shows what it is about;
//! giving a name and a first question (`POST`) creates a guest, their chat with the teacher and
//! the question, in one transaction and one append of the log (`sql/functions/inquiry_open.sql`),
//! and answers with the guest's credential in a cookie of its own
//! (`auth::GUEST_COOKIE`, HttpOnly). So there is no guest without a message to clean up: each
//! is an inquiry a teacher sees. New guests are limited per client address and per link.
//!
//! A guest may use exactly their chat: only the routes on the guests' router (`crate::access`)
//! take them, and membership keeps those to their chat. Guests write at a harder rate than
//! users, and a link's guests share one allowance of streams and of uploads. An inquiry without
//! a new message for `INQUIRY_IDLE_SECS` is closed by the replicas (`governance::close_idle`),
//! as are a link's inquiries when it is revoked: read-only, announced by a `chat_closed` event,
//! which also ends the guest's session (their streams end, their credential is refused: the
//! `guest_sessions` view in `sql/schema.sql`). A guest who signs up later is not linked to their
//! guest identity (not built).

pub mod links;
pub mod listings;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};

use self::links::{create_link, list_links, revoke_link};
use super::text::{Empty, check_message_text};
use crate::auth::{GUEST_COOKIE, Role, credential_cookie, origin};
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam};
use crate::limits::Limited;
use crate::peer::ClientAddress;
use crate::wire::Person;
use crate::{AppError, AppState, Result};

/// Longest guest name, in Unicode scalar values.
pub const MAX_NAME_CHARS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/inquiry-links", post(create_link).get(list_links))
        .route("/api/inquiry-links/{id}", delete(revoke_link))
        .route("/api/inquiry/{token}", get(show).post(open))
}

/// What a visitor sees before giving a name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InquiryInfo {
    pub title: String,
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    pub host: Person,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Visitor {
    /// How the teacher will see the visitor: 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The visitor's question, the chat's first message: as a message's content (1–10000
    /// characters, not blank).
    #[schema(min_length = 1, max_length = 10000)]
    pub message: String,
}

/// A new guest and their chat.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Opened {
    pub chat_id: i64,
    pub user: Person,
    /// The guest's credential (also set as the `tutorchat_guest` cookie): as a Bearer token it
    /// allows the same, for clients that are not browsers.
    pub token: String,
}

/// The guest a visitor's credential names (the `tutorchat_guest` cookie, or a Bearer token), if
/// it is one this server signed and not expired, whether or not its session has ended: how a
/// blocked visitor is recognised.
fn former_guest(state: &AppState, headers: &HeaderMap, jar: &CookieJar) -> Option<i64> {
    let secure = origin::request_scheme(headers) == "https";
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let cookie = jar.get(&crate::auth::cookie_name(GUEST_COOKIE, secure)).map(|c| c.value().to_owned());
    let token = bearer.or(cookie)?;
    state.keys.verify(&token).ok().map(|session| session.user)
}

/// 404 for an unknown or revoked link, without telling which.
fn no_link() -> AppError {
    AppError::NotFound("this inquiry link does not exist or was revoked".into())
}

/// 404 at once for what cannot be a link's token (tokens are letters and digits).
fn plausible(token: &str) -> Result<()> {
    let fits = !token.is_empty() && token.len() <= 64 && token.chars().all(|c| c.is_ascii_alphanumeric());
    if fits { Ok(()) } else { Err(no_link()) }
}

/// What an inquiry link is about, for a visitor (no account needed).
#[utoipa::path(get, path = "/api/inquiry/{token}", tag = "inquiries", params(("token" = String, Path)),
    security(()),
    responses((status = 200, body = InquiryInfo), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn show(State(state): State<AppState>, PathParam(token): PathParam<String>) -> Result<Json<InquiryInfo>> {
    plausible(&token)?;
    let row = state
        .db
        .get()
        .await?
        .query_opt(
            "SELECT l.title, l.context, u.id, u.name, u.role FROM inquiry_links l JOIN users u ON u.id = l.host_id
             WHERE l.token = $1 AND l.revoked_at IS NULL",
            &[&token],
        )
        .await?
        .ok_or_else(no_link)?;
    let host = Person { id: row.try_get("id")?, name: row.try_get("name")?, role: row.try_get("role")? };
    Ok(Json(InquiryInfo { title: row.try_get("title")?, context: row.try_get("context")?, host }))
}

/// A visitor gives a name and their question, and gets a guest identity and a chat with the
/// link's teacher whose first message is the question: 201 with the `tutorchat_guest` cookie
/// (HttpOnly) set. No account needed; from a browser, only from this site (`Origin`). New
/// guests are limited per client address and per link (429 with `Retry-After`). A visitor
/// the link's teacher blocked gets 403 `visitor_blocked`: recognised by the guest credential
/// they still hold (cookie or Bearer), or, for `INQUIRY_BLOCK_ADDRESS_HOURS` after the block,
/// by the address they opened the blocked inquiry from.
#[utoipa::path(post, path = "/api/inquiry/{token}", tag = "inquiries", params(("token" = String, Path)),
    request_body = Visitor, security(()),
    responses((status = 201, body = Opened), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    PathParam(token): PathParam<String>,
    JsonBody(body): JsonBody<Visitor>,
) -> Result<(StatusCode, CookieJar, Json<Opened>)> {
    // A page elsewhere must not open chats in a visitor's name.
    if headers.contains_key(axum::http::header::ORIGIN) {
        origin::check(&headers, &state.config.auth.allowed_origins)?;
    }
    plausible(&token)?;
    super::text::check_one_line("name", &body.name)?;
    let name = body.name.trim();
    if name.is_empty() || super::text::is_blank(name) {
        return Err(AppError::BadRequest("name must not be empty or only whitespace".into()));
    }
    // As sent: the document's `maxLength` counts the characters of the value, spaces too.
    let length = body.name.chars().count();
    if length > MAX_NAME_CHARS {
        return Err(AppError::BadRequest(format!("name is {length} characters long; the limit is {MAX_NAME_CHARS}")));
    }
    check_message_text("message", &body.message, Empty::Refused)?;
    let mut client = state.db.get().await?;
    let link: i64 = client
        .query_opt("SELECT id FROM inquiry_links WHERE token = $1 AND revoked_at IS NULL", &[&token])
        .await?
        .ok_or_else(no_link)?
        .get(0);
    let address_hash = admit_visitor(&state, &**client, link, former_guest(&state, &headers, &jar), address).await?;
    // The guest, the chat and the question together, or none of them.
    let tx = client.transaction().await?;
    let opened = open_chat(&state, &tx, (&token, link), (name, Some(&body.message)), &address_hash).await?;
    let (chat_id, guest) = opened.ok_or_else(no_link)?;
    tx.commit().await?;
    let ttl = state.config.inquiry.guest_ttl;
    let credential = state.keys.mint(guest, ttl, None)?;
    let secure = origin::request_scheme(&headers) == "https";
    let cookie = credential_cookie(GUEST_COOKIE, credential.clone(), secure, "/", ttl);
    let user = Person { id: guest, name: name.to_owned(), role: Role::Guest };
    tracing::info!(guest, chat_id, link, "a guest opened an inquiry");
    Ok((StatusCode::CREATED, jar.add(cookie), Json(Opened { chat_id, user, token: credential })))
}

/// Lets a visitor in through link `link`, or refuses them: one the link's teacher blocked
/// ([`refuse_blocked`]), and one past the limits of new guests per address or per link (429).
/// Their address's hash, to keep with the guest ([`open_chat`]).
pub async fn admit_visitor(
    state: &AppState,
    client: &impl tokio_postgres::GenericClient,
    link: i64,
    former: Option<i64>,
    address: std::net::IpAddr,
) -> Result<Vec<u8>> {
    let address_hash = refuse_blocked(state, client, link, former, address).await?;
    // The address first: a visitor past their own limit takes nothing from the link's.
    state.limits.check_inquiry_address(address)?;
    state.limits.check(Limited::InquiryOpen, link)?;
    Ok(address_hash)
}

/// Refuses a visitor link `link`'s teacher blocked (403 `visitor_blocked`): by the guest they
/// were (`former`: a guest credential they still hold, whose session ended with the chat and
/// whose signature did not, or the marketplace visitor's earlier guest) or by the address they
/// came from. Their address's hash.
pub async fn refuse_blocked(
    state: &AppState,
    client: &impl tokio_postgres::GenericClient,
    link: i64,
    former: Option<i64>,
    address: std::net::IpAddr,
) -> Result<Vec<u8>> {
    let window = state.config.inquiry.block_address;
    let address_hash = crate::access::address_hash(state.config.auth.jwt.secret.expose(), address);
    crate::access::refuse_blocked_visitor(client, link, former, &address_hash, window).await?;
    Ok(address_hash)
}

/// A new guest named `name` and their inquiry chat through the link `(token, id)`, with its
/// first message `question` if there is one, appended together (`sql/functions/inquiry_open.sql`),
/// in `tx`, with where they came from while a block may need it: `(chat_id, guest_id)`, or None
/// for a link revoked meanwhile.
pub async fn open_chat(
    state: &AppState,
    tx: &tokio_postgres::Transaction<'_>,
    (token, link): (&str, i64),
    (name, question): (&str, Option<&str>),
    address_hash: &[u8],
) -> Result<Option<(i64, i64)>> {
    let sql = "SELECT chat_id, guest_id FROM inquiry_open($1, $2, $3)";
    let Some(row) = tx.query_opt(sql, &[&token, &name, &question]).await? else {
        return Ok(None);
    };
    let (chat_id, guest): (i64, i64) = (row.try_get("chat_id")?, row.try_get("guest_id")?);
    if !state.config.inquiry.block_address.is_zero() {
        tx.execute(
            "INSERT INTO guest_addresses (guest_id, link_id, address_hash) VALUES ($1, $2, $3)",
            &[&guest, &link, &address_hash],
        )
        .await?;
    }
    Ok(Some((chat_id, guest)))
}
