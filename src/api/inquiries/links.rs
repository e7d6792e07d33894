//! A teacher's inquiry links: creating one (a teacher for themselves, an admin for a teacher),
//! listing them, and revoking one, which closes the chats it opened.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::access::{Staff, Viewer, may_revoke_link, viewer};
use crate::api::groups::{validate_context, validate_title};
use crate::auth::{AuthUser, Role};
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam};
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::{AppError, AppState, Result};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InquiryLink {
    pub id: i64,
    pub token: String,
    /// Where a visitor opens it: `/inquiry/{token}` on this site.
    pub url: String,
    pub title: String,
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    /// The teacher the inquiries go to.
    pub host_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Once revoked, the link opens no new chat (the ones it opened go on).
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Listed on the school's marketplace: its pages open chats through it by `id`, without
    /// the token (docs/dialect-marketplace.md).
    pub listed: bool,
}

impl InquiryLink {
    /// Decodes a row of the link's columns (id, token, title, context, host_id, created_at,
    /// revoked_at, listed).
    fn from_row(row: &Row) -> Result<Self, tokio_postgres::Error> {
        let token: String = row.try_get("token")?;
        Ok(Self {
            id: row.try_get("id")?,
            url: format!("/inquiry/{token}"),
            token,
            title: row.try_get("title")?,
            context: row.try_get("context")?,
            host_id: row.try_get("host_id")?,
            created_at: row.try_get("created_at")?,
            revoked_at: row.try_get("revoked_at")?,
            listed: row.try_get("listed")?,
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InquiryLinks {
    pub links: Vec<InquiryLink>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewLink {
    /// What the inquiries are about, shown to the visitor and as the chats' title: 1–200
    /// characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// As a group's context, e.g. `{"type": "course", "id": 12, "title": "ЕГЭ математика"}`.
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    /// The teacher the inquiries go to: an admin must name one; a teacher's own link is theirs.
    pub host_id: Option<i64>,
    /// List it on the school's marketplace, whose pages open chats through it by its `id`
    /// alone (default false: only its token opens it).
    #[serde(default)]
    pub listed: bool,
}

/// A link's token: 32 letters and digits, about 190 bits.
fn new_token() -> String {
    use rand::Rng;
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(32).map(char::from).collect()
}

/// Creates an inquiry link (teachers, for themselves; admins, for a teacher they name).
#[utoipa::path(post, path = "/api/inquiry-links", tag = "inquiries", request_body = NewLink,
    responses((status = 422, body = ErrorBody, description = "an admin's link without host_id, or a host who is not a teacher"), (status = 201, body = InquiryLink), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn create_link(
    State(state): State<AppState>,
    Staff(user): Staff,
    JsonBody(body): JsonBody<NewLink>,
) -> Result<(StatusCode, Json<InquiryLink>)> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let host = match (viewer(&user), body.host_id) {
        (Viewer::Participant(teacher), None) => teacher,
        (Viewer::Participant(teacher), Some(id)) if id == teacher => teacher,
        (Viewer::Participant(_), Some(_)) => {
            return Err(AppError::Forbidden("a teacher creates inquiry links for themselves only".into()));
        }
        // `Staff` lets no guardian in.
        (Viewer::Guardian(_), _) => return Err(AppError::Forbidden("only teachers and admins may do this".into())),
        (Viewer::Admin, Some(id)) => id,
        (Viewer::Admin, None) => {
            return Err(AppError::Unprocessable("host_id is required: the teacher the inquiries go to".into()));
        }
    };
    validate_title(&body.title)?;
    let context = validate_context(body.context)?;
    let client = state.db.get().await?;
    let host_role: Option<Role> =
        client.query_opt("SELECT role FROM users WHERE id = $1", &[&host]).await?.map(|r| r.try_get(0)).transpose()?;
    if host_role != Some(Role::Teacher) {
        return Err(AppError::Unprocessable(format!("host_id {host} is not a teacher")));
    }
    const SQL: &str =
        "INSERT INTO inquiry_links (token, host_id, created_by, title, context, listed) VALUES ($1, $2, $3, $4, $5, $6)
                       RETURNING id, token, title, context, host_id, created_at, revoked_at, listed";
    let row = client.query_one(SQL, &[&new_token(), &host, &user.id, &body.title, &context, &body.listed]).await?;
    Ok((StatusCode::CREATED, Json(InquiryLink::from_row(&row)?)))
}

/// The caller's inquiry links (a teacher's own; every link for an admin), newest first.
#[utoipa::path(get, path = "/api/inquiry-links", tag = "inquiries",
    responses((status = 200, body = InquiryLinks), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list_links(State(state): State<AppState>, Staff(user): Staff) -> Result<Json<InquiryLinks>> {
    const SQL: &str = "SELECT id, token, title, context, host_id, created_at, revoked_at, listed FROM inquiry_links
                       WHERE $1::bigint IS NULL OR host_id = $1 ORDER BY id DESC";
    let host = match viewer(&user) {
        Viewer::Admin => None,
        Viewer::Participant(teacher) | Viewer::Guardian(teacher) => Some(teacher),
    };
    let rows = state.db.get().await?.query(SQL, &[&host]).await?;
    let links = rows.iter().map(InquiryLink::from_row).collect::<Result<_, _>>()?;
    Ok(Json(InquiryLinks { links }))
}

/// Revokes a link (its teacher, who created it, or an admin): it opens no new chat, and the
/// chats it opened are closed (read-only, their guests' sessions end). Revoking twice is fine.
/// 403 for a link the caller may not revoke, as for one that does not exist.
#[utoipa::path(delete, path = "/api/inquiry-links/{id}", tag = "inquiries", params(("id" = i64, Path)),
    responses((status = 204, description = "revoked"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such link, or not the caller's (one answer for both)")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, link = id))]
pub async fn revoke_link(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    let client = state.db.get().await?;
    let row = client.query_opt("SELECT host_id, created_by FROM inquiry_links WHERE id = $1", &[&id]).await?;
    let owners = row.as_ref().map(|row| (row.get("host_id"), row.get("created_by")));
    may_revoke_link(&user, id, owners)?;
    client.execute("UPDATE inquiry_links SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", &[&id]).await?;
    // Its chats close, and with them their guests' sessions. After the revocation: no chat
    // opens through it any more, so none is missed.
    let open = client
        .query("SELECT g.chat_id FROM guest_sessions g WHERE g.link_id = $1 AND NOT g.ended ORDER BY g.chat_id", &[&id])
        .await?;
    drop(client); // not held while waiting for the writer, which needs one too
    let closing: Vec<NewEvent> = open.iter().map(|row| NewEvent::ChatClosed { chat_id: row.get(0) }).collect();
    for batch in closing.chunks(500) {
        let client = state.db.get().await?;
        crate::log::store::append(&**client, batch).await?;
    }
    tracing::info!(link = id, closed = closing.len(), "revoked an inquiry link and closed its chats");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let (a, b) = (super::new_token(), super::new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
