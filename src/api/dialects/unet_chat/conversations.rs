//! Conversations and their participants. A `private` conversation is the pair's lesson chat,
//! found and never created (`api::direct`); a `group` is the core's group (`api::groups`);
//! deleting a conversation is the caller's own archive of it (`api::chat_settings`), which
//! hides it from their list only, until a newer message brings it back, as it does in the
//! core's inbox.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::{Conversation, ErrorBody};
use crate::access::{Staff, Writer};
use crate::api::Snapshot;
use crate::api::chats::{ListQuery, list_chats};
use crate::api::groups::{self, NewChat, NewChatKind, NewMember};
use crate::auth::AuthUser;
use crate::extract::{JsonBody, MinPosition, PathParam, QueryParams};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    // Hiding a conversation is open to suspended people, as the core's archive is.
    let hide = Router::new().route("/api/unet-chat/conversations/{id}", axum::routing::delete(hide));
    Router::new()
        .route("/api/unet-chat/conversations/", get(list).post(create))
        .route("/api/unet-chat/conversations/{id}", get(one))
        .route("/api/unet-chat/conversations/{id}/participants/", post(add))
        .route("/api/unet-chat/conversations/{id}/participants/{user_id}", delete(remove))
        .merge(crate::access::for_suspended(hide))
}

/// What `POST /conversations/` creates, or finds.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = UnetNewConversation)]
pub struct NewConversation {
    /// `private`: the lesson chat with the one person of `participant_ids`; `group`: a
    /// teacher's group with `title`.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// A group's title: 1–200 characters, not blank (a group without one: 422).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// `private`: exactly the partner (any other count: 422); `group`: the members besides the
    /// creator (at most 500).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub participant_ids: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = UnetConversationKind)]
pub enum Kind {
    Private,
    Group,
}

/// The caller's conversations, the most recent activity first: a participant's own chats
/// (those they deleted left out), a guardian's children's, for an admin the school's 100 most
/// recently active (the contract has no paging; the web app's admin list has them all).
#[utoipa::path(get, path = "/api/unet-chat/conversations/", operation_id = "unet_conversations", tag = "unet-chat",
    responses((status = 200, body = Vec<Conversation>), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Vec<Conversation>>> {
    // The core's archive decides what is hidden: the chats its archived list holds.
    let query = ListQuery { limit: None, cursor: None, q: None, kind: None, archived: Some(true) };
    let Snapshot(_, archived) =
        list_chats(State(state.clone()), user.clone(), QueryParams(query), MinPosition(0)).await?;
    let hidden: HashSet<i64> = archived.chats.iter().map(|c| c.id).collect();
    let mut listed = crate::access::recent_chats_of(&state, &user).await?;
    listed.retain(|c| !hidden.contains(&c.id));
    Ok(Json(listed.into_iter().map(|c| Conversation::of(c.id, c.header, c.created_at)).collect()))
}

/// One conversation: its members and admins; anyone else 403.
#[utoipa::path(get, path = "/api/unet-chat/conversations/{id}", operation_id = "unet_conversation", tag = "unet-chat",
    params(("id" = i64, Path, description = "the conversation's id (its string in this contract's answers)")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such conversation, or not the caller's")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn one(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
) -> Result<Json<Conversation>> {
    let Json(chat) = groups::details(State(state), user, PathParam(chat_id)).await?;
    Ok(Json(Conversation::of(chat.id, chat.header, chat.created_at)))
}

/// `private`: the lesson chat between the caller and the one person named (200, the same from
/// either side); 403 without one (a lesson only scheduled, two students, an admin), nothing
/// created. `group`: a teacher's group with their own students (201, `created_by` the
/// teacher); a student 403, someone who may not be a member 422.
#[utoipa::path(post, path = "/api/unet-chat/conversations/", operation_id = "unet_create_conversation", tag = "unet-chat",
    request_body = NewConversation,
    responses((status = 200, body = Conversation, description = "the pair's lesson chat, found"),
              (status = 201, body = Conversation, description = "the group, created"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no lesson chat between the two; a student creating a group; an admin's private conversation"),
              (status = 409, body = ErrorBody, description = "`quiet_hours`: a teacher's group with students waits until they end"),
              (status = 422, body = ErrorBody, description = "a member who may not be added"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<NewConversation>,
) -> Result<(StatusCode, Json<Conversation>)> {
    match body.kind {
        Kind::Private => {
            let Writer(user) = Writer::admit(&state, user)?;
            let [partner] = body.participant_ids[..] else {
                return Err(AppError::Unprocessable("a private conversation names exactly one participant_ids".into()));
            };
            // Found, never created: without a completed lesson there is no chat (403 here).
            let chat_id = crate::api::direct::direct_chat(&state, user.id, partner).await.map_err(|e| match e {
                AppError::NotFound(why) => AppError::Forbidden(why),
                other => other,
            })?;
            let Json(chat) = groups::details(State(state), user, PathParam(chat_id)).await?;
            Ok((StatusCode::OK, Json(Conversation::of(chat.id, chat.header, chat.created_at))))
        }
        Kind::Group => {
            let staff = Staff::admit(user)?;
            let title = body.title.ok_or_else(|| AppError::Unprocessable("a group has a title".into()))?;
            let group = NewChat {
                kind: NewChatKind::Group,
                title,
                participant_ids: body.participant_ids,
                context: None,
                announcement: false,
                audience: None,
                recipients: None,
            };
            let (status, Json(chat)) = groups::create(State(state), staff, JsonBody(group)).await?;
            Ok((status, Json(Conversation::of(chat.id, chat.header, chat.created_at))))
        }
    }
}

/// Deletes the conversation for the caller only: it leaves their list on every replica (until
/// a newer message arrives), the others keep it, and nothing is removed. A stranger 403.
#[utoipa::path(delete, path = "/api/unet-chat/conversations/{id}", operation_id = "unet_delete_conversation", tag = "unet-chat",
    params(("id" = i64, Path, description = "the conversation's id")),
    responses((status = 204, description = "hidden from the caller's list"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such conversation, or not the caller's; an admin"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = writer.0.id, chat_id = chat_id))]
pub async fn hide(
    State(state): State<AppState>,
    writer: Writer,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    crate::api::chat_settings::archive(State(state), writer, PathParam(chat_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a member to a group (its teacher, or an admin): 201, or 200 if they already are one.
/// A teacher adds only their own students (a lesson together) and teachers: anyone else 422.
#[utoipa::path(post, path = "/api/unet-chat/conversations/{id}/participants/", operation_id = "unet_add_participant", tag = "unet-chat",
    params(("id" = i64, Path, description = "the group's id")), request_body = NewMember,
    responses((status = 201, body = Conversation), (status = 200, body = Conversation, description = "already a member"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such group, or not the caller's to manage"),
              (status = 409, body = ErrorBody, description = "`group_full`, or `quiet_hours`"),
              (status = 422, body = ErrorBody, description = "a user who may not be added"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn add(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    JsonBody(body): JsonBody<NewMember>,
) -> Result<(StatusCode, Json<Conversation>)> {
    let (status, Json(chat)) = groups::add(State(state), user, PathParam(chat_id), JsonBody(body)).await?;
    Ok((status, Json(Conversation::of(chat.id, chat.header, chat.created_at))))
}

/// Removes a member from a group (its teacher or an admin; a member themself): 204. They no
/// longer list it, and their sends there are refused (403). Not a member: 404.
#[utoipa::path(delete, path = "/api/unet-chat/conversations/{id}/participants/{user_id}", operation_id = "unet_remove_participant", tag = "unet-chat",
    params(("id" = i64, Path, description = "the group's id"), ("user_id" = i64, Path, description = "the member's id")),
    responses((status = 204, description = "removed"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "not a member"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam((chat_id, member)): PathParam<(i64, i64)>,
) -> Result<StatusCode> {
    groups::remove(State(state), user, PathParam((chat_id, member))).await
}
