//! Listings: inquiry links their teachers listed on the school's marketplace (`listed`), and
//! the chats opened through them (`marketplace_chats`), by anonymous visitors known by the
//! random UUID their page keeps, or by students, whose chat is the pair's lesson chat. The
//! rules of opening, listing and naming those chats, and the visitor's credential, are here;
//! the marketplace dialect (`api::dialects::marketplace`) only translates its contract to them.
//!
//! A visitor's UUID is their credential: only a random (version 4) one is taken, only its
//! SHA-256 is kept, and nobody but the visitor is shown it: everybody else knows the visitor
//! by a public UUID of the server's own, which opens nothing.

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::http::request::Parts;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::auth::{AuthState, AuthUser, Credential, Role, Session};
use crate::limits::Limited;
use crate::{AppError, AppState, Result};

/// A listing, as a page names it: the link's id and the teacher whose it is said to be.
#[derive(Debug, Clone, Copy)]
pub struct Listing {
    pub id: i64,
    pub seller: i64,
}

/// Who opened a chat through a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buyer {
    /// An anonymous visitor: their guest, and the public UUID everybody else knows them by.
    Visitor { guest: i64, public: Uuid },
    /// A student, by id.
    Student(i64),
}

/// A chat opened through a listing.
#[derive(Debug, Clone)]
pub struct ListedChat {
    pub chat_id: i64,
    pub listing: i64,
    pub seller: i64,
    pub buyer: Buyer,
    pub created_at: OffsetDateTime,
    /// Its last activity.
    pub updated_at: OffsetDateTime,
}

/// A chat of a seller's inbox: with the seller's unread count and the last message they see.
#[derive(Debug, Clone)]
pub struct SoldChat {
    pub chat: ListedChat,
    pub unread_count: i64,
    pub last_message: Option<String>,
    pub last_message_time: Option<OffsetDateTime>,
}

/// A visitor's chat about listing $1, by the key of their UUID ($2).
const VISITOR_SQL: &str =
    "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    WHERE m.link_id = $1 AND m.buyer_key = $2";

/// A student's chat about listing $1, by their id ($2).
const STUDENT_SQL: &str =
    "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    WHERE m.link_id = $1 AND m.buyer_id = $2 AND m.buyer_key IS NULL";

/// A visitor's chats by the key of their UUID ($1), newest activity first: only those whose
/// inquiry is open, as only those does their UUID open.
const VISITOR_BOUGHT_SQL: &str =
    "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    JOIN chats k ON k.id = m.chat_id
    WHERE m.buyer_key = $1 AND k.closed_at IS NULL
    ORDER BY c.updated_at DESC, m.chat_id DESC";

/// A student's chats by their id ($1), newest activity first.
const STUDENT_BOUGHT_SQL: &str =
    "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_public, m.created_at, c.updated_at
    FROM marketplace_chats m JOIN inquiry_links l ON l.id = m.link_id JOIN chat_headers c ON c.id = m.chat_id
    WHERE m.buyer_id = $1 AND m.buyer_key IS NULL
    ORDER BY c.updated_at DESC, m.chat_id DESC";

/// Seller $1's chats, but those they deleted (archived, and no message since), newest activity
/// first, each with the seller's unread count and the last message they can see.
const SOLD_SQL: &str = "SELECT m.chat_id, m.link_id, l.host_id, m.buyer_id, m.buyer_public, m.created_at, c.updated_at,
           n.unread AS unread_count, last.content AS last_message, last.created_at AS last_message_time
    FROM marketplace_chats m
    JOIN inquiry_links l ON l.id = m.link_id AND l.host_id = $1
    JOIN chat_headers c ON c.id = m.chat_id
    JOIN chats k ON k.id = m.chat_id
    JOIN chat_participants me ON me.chat_id = m.chat_id AND me.user_id = $1
    CROSS JOIN LATERAL chat_unread(m.chat_id, me.user_id, me.last_read_message_id) n
    LEFT JOIN LATERAL (SELECT x.content, x.created_at FROM messages x
                       WHERE x.chat_id = m.chat_id AND NOT x.is_deleted AND x.hidden_at IS NULL
                       ORDER BY x.id DESC LIMIT 1) last ON true
    WHERE (k.active_position < me.archived_position) IS NOT TRUE
    ORDER BY c.updated_at DESC, m.chat_id DESC";

impl ListedChat {
    fn from_row(row: &Row) -> Result<Self> {
        let buyer_id: i64 = row.try_get("buyer_id")?;
        let buyer = match row.try_get::<_, Option<Uuid>>("buyer_public")? {
            Some(public) => Buyer::Visitor { guest: buyer_id, public },
            None => Buyer::Student(buyer_id),
        };
        Ok(Self {
            chat_id: row.try_get("chat_id")?,
            listing: row.try_get("link_id")?,
            seller: row.try_get("host_id")?,
            buyer,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// What is kept of a visitor's UUID: its SHA-256, so that the table (and whoever reads it)
/// holds no credential.
fn key(uuid: &Uuid) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(uuid.as_bytes()).to_vec()
}

/// A visitor's UUID, if it is one a visitor may be known by: a random one (version 4). The nil
/// UUID and UUIDs made from a clock or a name could be another's: 400.
fn visitor_uuid(uuid: Option<Uuid>) -> Result<Uuid> {
    uuid.filter(|uuid| {
        uuid.get_version() == Some(uuid::Version::Random) && uuid.get_variant() == uuid::Variant::RFC4122
    })
    .ok_or_else(|| {
        AppError::BadRequest("an anonymous buyer's buyer_id is the random UUID (version 4) their page keeps".into())
    })
}

/// The token of `listing` if it is its seller's, listed and not withdrawn: one 404 for every
/// other case, so that a listing's seller is learnt only from the listing.
async fn token_of(client: &impl tokio_postgres::GenericClient, listing: Listing) -> Result<String> {
    let sql = "SELECT token FROM inquiry_links WHERE id = $1 AND host_id = $2 AND listed AND revoked_at IS NULL";
    let row = client.query_opt(sql, &[&listing.id, &listing.seller]).await?;
    let row = row.ok_or_else(|| {
        AppError::NotFound(format!("seller {} has no listing {} on the marketplace", listing.seller, listing.id))
    })?;
    Ok(row.try_get(0)?)
}

/// Opens the chat about `listing` of the visitor whose page keeps `uuid` (what its `buyer_id`
/// parsed to, if anything: [`visitor_uuid`] says which may be one), or finds the one they
/// have (`true`: new). Limited per client address before anything is looked up (past it, a
/// visitor learns nothing of listings), then per listing for a new chat, as the core's
/// inquiries are; refused to a visitor the teacher blocked, by their UUID or by address
/// (`inquiries::refuse_blocked`).
pub async fn open_for_visitor(
    state: &AppState,
    listing: Listing,
    uuid: Option<Uuid>,
    address: std::net::IpAddr,
) -> Result<(bool, ListedChat)> {
    state.limits.check_inquiry_address(address)?;
    let mut client = state.db.get().await?;
    let token = token_of(&**client, listing).await?;
    let uuid = visitor_uuid(uuid)?;
    let (link, key) = (listing.id, key(&uuid));
    if let Some(found) = client.query_opt(VISITOR_SQL, &[&link, &key]).await? {
        // A visitor the teacher blocked is refused, not handed back their closed chat.
        super::refuse_blocked(state, &**client, link, Some(found.try_get("buyer_id")?), address).await?;
        return Ok((false, ListedChat::from_row(&found)?));
    }
    let address_hash = super::refuse_blocked(state, &**client, link, None, address).await?;
    state.limits.check(Limited::InquiryOpen, link)?;
    let tx = client.transaction().await?;
    let name = format!("Visitor {}", &uuid.simple().to_string()[..8]);
    let opened = super::open_chat(state, &tx, (&token, link), (&name, None), &address_hash).await?;
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
        return Ok((false, ListedChat::from_row(&client.query_one(VISITOR_SQL, &[&link, &key]).await?)?));
    }
    let row = tx.query_one(VISITOR_SQL, &[&link, &key]).await?;
    tx.commit().await?;
    tracing::info!(guest, chat_id, link, "a marketplace visitor opened a chat");
    Ok((true, ListedChat::from_row(&row)?))
}

/// A student's chat about `listing` (`named`: the student the page says it is for, who must be
/// the caller): the pair's lesson chat, which only a completed lesson opens (403 without one;
/// nothing is created). `true`: listed under this listing now.
pub async fn open_for_student(
    state: &AppState,
    student: &AuthUser,
    named: Option<i64>,
    listing: Listing,
) -> Result<(bool, ListedChat)> {
    state.limits.check(Limited::write_by(student.role), student.id)?;
    if named != Some(student.id) || student.role != Role::Student {
        return Err(AppError::Forbidden("a registered buyer is the signed-in student, by their id".into()));
    }
    let client = state.db.get().await?;
    token_of(&**client, listing).await?;
    let chat_id = crate::api::direct::direct_chat(state, student.id, listing.seller)
        .await
        .map_err(|e| if e.status() == StatusCode::NOT_FOUND { AppError::Forbidden(e.to_string()) } else { e })?;
    let inserted = client
        .execute(
            "INSERT INTO marketplace_chats (link_id, buyer_id, chat_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&listing.id, &student.id, &chat_id],
        )
        .await?;
    let row = client.query_one(STUDENT_SQL, &[&listing.id, &student.id]).await?;
    Ok((inserted == 1, ListedChat::from_row(&row)?))
}

/// Visitor `uuid`'s chats, newest activity first, those their UUID still opens (within their
/// guest's read allowance; an unknown UUID costs one look in an index and has none).
pub async fn bought_by_visitor(state: &AppState, uuid: Uuid) -> Result<Vec<ListedChat>> {
    let rows = state.db.get().await?.query(VISITOR_BOUGHT_SQL, &[&key(&uuid)]).await?;
    if let Some(row) = rows.first() {
        state.limits.check(Limited::Read, row.try_get("buyer_id")?)?;
    }
    rows.iter().map(ListedChat::from_row).collect()
}

/// The chats `user` opened through listings (a student's), newest activity first.
pub async fn bought_by(state: &AppState, user: &AuthUser) -> Result<Vec<ListedChat>> {
    state.limits.check(Limited::Read, user.id)?;
    let rows = state.db.get().await?.query(STUDENT_BOUGHT_SQL, &[&user.id]).await?;
    rows.iter().map(ListedChat::from_row).collect()
}

/// Seller `seller`'s inbox, read by `user`: their own, or any seller's for an admin (anyone
/// else 403), the chats they deleted left out; an admin's read of each chat it quotes is
/// recorded before the answer.
pub async fn sold(state: &AppState, user: &AuthUser, seller: i64) -> Result<Vec<SoldChat>> {
    crate::access::own_or_admin(user, seller, "this is another seller's inbox")?;
    state.limits.check(Limited::Read, user.id)?;
    let rows = state.db.get().await?.query(SOLD_SQL, &[&seller]).await?;
    let sold = rows
        .iter()
        .map(|row| {
            Ok(SoldChat {
                chat: ListedChat::from_row(row)?,
                unread_count: row.try_get("unread_count")?,
                last_message: row.try_get("last_message")?,
                last_message_time: row.try_get("last_message_time")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let quoted: Vec<i64> = sold.iter().filter(|s| s.last_message.is_some()).map(|s| s.chat.chat_id).collect();
    crate::access::record_read(&state.db, user, &quoted, crate::access::Via::ChatList).await?;
    Ok(sold)
}

/// The caller a visitor's UUID stands for on chat `chat`: the guest it opened that chat as
/// (401 for a UUID that opened none, 403 for another chat), as their session allows them
/// (ended with a closed inquiry).
pub async fn visitor(state: &AppState, parts: &Parts, uuid: Uuid, chat: i64) -> Result<AuthUser> {
    let rows = state
        .db
        .get()
        .await?
        .query("SELECT buyer_id, chat_id FROM marketplace_chats WHERE buyer_key = $1", &[&key(&uuid)])
        .await?;
    if rows.is_empty() {
        return Err(AppError::Unauthorized("no chat was opened with this visitor id".into()));
    }
    let Some(row) = rows.iter().find(|row| row.try_get::<_, i64>("chat_id").is_ok_and(|c| c == chat)) else {
        return Err(AppError::Forbidden("this chat is not this visitor's".into()));
    };
    let guest: i64 = row.try_get("buyer_id")?;
    let expires_at =
        OffsetDateTime::now_utc().unix_timestamp().max(0) as u64 + state.config.inquiry.guest_ttl.as_secs();
    let session = Session { user: guest, expires_at, sid: None };
    AuthUser::of_session(&AuthState::from_ref(state), parts, session, Credential::Visitor).await
}

/// Chat `chat`'s visitor, if an anonymous buyer opened it: their guest id and public UUID.
pub async fn visitor_of(state: &AppState, chat: i64) -> Result<Option<(i64, Uuid)>> {
    let row = state
        .db
        .get()
        .await?
        .query_opt(
            "SELECT buyer_id, buyer_public FROM marketplace_chats WHERE chat_id = $1 AND buyer_key IS NOT NULL LIMIT 1",
            &[&chat],
        )
        .await?;
    row.map(|row| Ok((row.try_get("buyer_id")?, row.try_get("buyer_public")?))).transpose()
}
