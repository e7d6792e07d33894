//! One chat with its members (`GET /api/chats/{id}`), and groups: creating one, renaming it,
//! adding and removing members. Every change is an event of the log (`sql/functions/events_before_insert.sql`),
//! whose trigger checks the same rules again under the log's lock; the checks here only give
//! clear answers first.
//!
//! Who may do what: a teacher or an admin creates a group (a teacher creator is its first
//! member and its owner); the owner or an admin adds and removes members and renames it; any
//! member may leave. Admins manage groups but never write in them (no messages, typing or read
//! markers), and are never members: they read every chat anyway.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::text::is_blank;

mod audience;
use crate::access::{Staff, check_access, group_manager, is_member};
use crate::auth::{AuthUser, Role};
use crate::error::{Code, ErrorBody};
use crate::extract::{JsonBody, PathParam};
use crate::limits::Limited;
use crate::log::{NewEvent, store};
use crate::safeguarding::quiet;
use crate::wire::{Audience, ChatHeader, Contact, Person, Recipients};
use crate::{AppError, AppState, Result};

/// Members a group may have at most.
pub const MAX_GROUP_MEMBERS: usize = 500;
/// Longest title, in Unicode scalar values.
pub const MAX_TITLE_CHARS: usize = 200;
/// Largest `context`, as JSON text.
pub const MAX_CONTEXT_BYTES: usize = 2_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/chats", post(create))
        .merge(crate::access::for_guests(Router::new().route("/api/chats/{chat_id}", get(details))))
        .route("/api/chats/{chat_id}", axum::routing::patch(rename))
        .route("/api/chats/{chat_id}/participants", post(add))
        .route("/api/chats/{chat_id}/participants/{user_id}", delete(remove))
}

/// A chat with its current members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatDetails {
    pub id: i64,
    #[serde(flatten)]
    pub header: ChatHeader,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// In the order they joined.
    pub participants: Vec<Member>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Member {
    #[serde(flatten)]
    pub contact: Contact,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewChat {
    /// `"group"` (a direct chat is opened only by a completed lesson).
    #[allow(dead_code)] // only `group` deserializes: nothing to read
    pub kind: NewChatKind,
    /// 1–200 characters, not only whitespace.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// The members besides the creator: students and teachers (at most 500).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub participant_ids: Vec<i64>,
    /// What the group is about, e.g. `{"type": "course", "id": 12, "title": "ЕГЭ математика"}`:
    /// any JSON object of at most 2,000 bytes.
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    /// An announcement: only the creator (a teacher; an admin's is refused, as admins write
    /// nothing) posts, members read. Set at creation, never changed.
    #[serde(default)]
    pub announcement: bool,
    /// `"my_students"`: an announcement (implied) to every student who has a completed lesson
    /// with the creator, now and as lessons complete later; `participant_ids` may add others.
    #[serde(default)]
    pub audience: Option<Audience>,
    /// Whom an announcement (implied) reaches: `"students"` (the default), `"guardians"` (the
    /// guardians linked now to its students, not the students; one membership per family) or
    /// `"both"`. Its guardians follow their links: one linked later joins, one whose link ends
    /// leaves once none of their children is the owner's student.
    #[serde(default)]
    pub recipients: Option<Recipients>,
}

/// The kind of chat `POST /api/chats` creates: only groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NewChatKind {
    Group,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Rename {
    /// 1–200 characters, not only whitespace.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewMember {
    pub user_id: i64,
}

pub(super) fn validate_title(title: &str) -> Result<()> {
    crate::api::text::check_one_line("title", title)?;
    if is_blank(title) {
        return Err(AppError::BadRequest("title must not be empty or only whitespace".into()));
    }
    let length = title.chars().count();
    if length > MAX_TITLE_CHARS {
        return Err(AppError::BadRequest(format!("title is {length} characters long; the limit is {MAX_TITLE_CHARS}")));
    }
    Ok(())
}

pub(super) fn validate_context(context: Option<serde_json::Value>) -> Result<Option<serde_json::Value>> {
    match context {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(context @ serde_json::Value::Object(_)) => {
            let text = context.to_string();
            if text.len() > MAX_CONTEXT_BYTES {
                return Err(AppError::Unprocessable(format!(
                    "context is {} bytes of JSON; the limit is {MAX_CONTEXT_BYTES}",
                    text.len()
                )));
            }
            if text.contains("\\u0000") {
                return Err(AppError::Unprocessable("context must not contain the NUL character (U+0000)".into()));
            }
            Ok(Some(context))
        }
        Some(_) => Err(AppError::BadRequest("context must be a JSON object (or null)".into())),
    }
}

/// 422 unless every id may be added by `actor`: a student or a teacher for an admin; for a
/// teacher, a teacher or one of their own students (a completed lesson together, the one that
/// opened their direct chat; a scheduled lesson is not enough: so that adding someone
/// to a group cannot be used to watch any student's presence; the log's trigger
/// `events_member_rule` holds the same rule). One answer whatever the reason, so that a teacher
/// cannot tell an unknown id from an admin's, a guest's or another teacher's student and map
/// the school's users through it.
async fn check_members(state: &AppState, actor: &AuthUser, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let teacher = (actor.role == Role::Teacher).then_some(actor.id);
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT u.id FROM users u WHERE u.id = ANY($1)
               AND (u.role = 'teacher' OR u.role = 'student' AND ($2::bigint IS NULL OR EXISTS (
                   SELECT 1 FROM lessons l WHERE l.teacher_id = $2 AND l.student_id = u.id
                                      AND l.status = 'completed')))",
            &[&ids, &teacher],
        )
        .await?;
    let mut refused: Vec<i64> =
        ids.iter().copied().filter(|id| !rows.iter().any(|r| r.get::<_, i64>("id") == *id)).collect();
    refused.sort_unstable();
    refused.dedup();
    if !refused.is_empty() {
        return Err(AppError::Unprocessable(format!(
            "users {refused:?} cannot be members of this group: a group's members are the school's teachers and students, and a teacher adds only their own students (a completed lesson together)"
        )));
    }
    Ok(())
}

/// Chat `chat_id` with its members, as it is now, as `viewer` is shown it: their presence only
/// if the rule shows it to them (`Contact::shown_to`); in an announcement whose owner they are
/// not, only its owner and themself (`access::roster`; the count stays).
pub(super) async fn load(state: &AppState, chat_id: i64, viewer: &AuthUser) -> Result<ChatDetails> {
    let roster = crate::access::roster(viewer);
    let client = state.db.get().await?;
    let chat = client
        .query_opt("SELECT * FROM chat_headers WHERE id = $1", &[&chat_id])
        .await?
        .ok_or_else(|| crate::access::no_chat(chat_id))?;
    let participants = client
        .query(
            "SELECT u.id, u.name, u.role, p.joined_at, pr.online, pr.last_seen
             FROM chat_participants p JOIN users u ON u.id = p.user_id CROSS JOIN LATERAL presence_of(u.id) pr
             JOIN chats c ON c.id = p.chat_id
             WHERE p.chat_id = $1
               AND (NOT c.announcement OR $2 OR c.created_by = $3 OR p.user_id IN ($3, c.created_by))
             ORDER BY p.joined_position, u.id",
            &[&chat_id, &roster.everyone, &roster.viewer],
        )
        .await?
        .iter()
        .map(|r| {
            let person = Person { id: r.try_get("id")?, name: r.try_get("name")?, role: r.try_get("role")? };
            let contact = Contact::from_row(person, r)?.shown_to(viewer.role);
            Ok(Member { contact, joined_at: r.try_get("joined_at")? })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(ChatDetails {
        id: chat.try_get("id")?,
        header: ChatHeader::from_row(&chat)?,
        created_at: chat.try_get("created_at")?,
        participants,
    })
}

/// Creates a group: a teacher's (who becomes its first member and owner) or an admin's (who
/// owns it without being a member). Students cannot (403). An announcement (only its owner
/// posts) is a teacher's only (403 for an admin: the log's rule); with `audience: my_students`
/// its members are the teacher's students (a completed lesson), now and later, and a teacher
/// has one: asking again answers the open one (200). Inside quiet
/// hours a teacher's group with a student is refused (409 `quiet_hours`), as is adding one.
#[utoipa::path(post, path = "/api/chats", tag = "chats", request_body = NewChat,
    responses((status = 422, body = ErrorBody, description = "a member who may not be added"), (status = 201, body = ChatDetails),
              (status = 200, body = ChatDetails, description = "`audience: my_students` and the teacher's announcement to all their students is open already: that one"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`quiet_hours`: inside quiet hours (QUIET_HOURS) a teacher's group with students waits until they end")))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn create(
    State(state): State<AppState>,
    Staff(user): Staff,
    JsonBody(body): JsonBody<NewChat>,
) -> Result<(StatusCode, Json<ChatDetails>)> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    validate_title(&body.title)?;
    let context = validate_context(body.context)?;
    // In the order given, each once; the creator is added first anyway.
    let mut members: Vec<i64> = Vec::with_capacity(body.participant_ids.len());
    for id in body.participant_ids {
        if id != user.id && !members.contains(&id) {
            members.push(id);
        }
    }
    if members.len() > MAX_GROUP_MEMBERS {
        return Err(AppError::BadRequest(format!(
            "a group has at most {MAX_GROUP_MEMBERS} members (got {})",
            members.len()
        )));
    }
    check_members(&state, &user, &members).await?;
    let announcement = body.announcement || body.audience.is_some() || body.recipients.is_some();
    let recipients = announcement.then(|| body.recipients.unwrap_or(Recipients::Students));

    // One statement: the chat and its members appear in the log together.
    let (status, chat_id) = {
        let mut client = state.db.get().await?;
        let tx = client.transaction().await?;
        // One "all my students" announcement per teacher and recipients: asking again opens it (200).
        if let Some(chat_id) = audience::members(&tx, user.id, body.audience, recipients, &mut members).await? {
            tx.commit().await?;
            return Ok((StatusCode::OK, Json(load(&state, chat_id, &user).await?)));
        }
        let chat_id: i64 = tx.query_one("SELECT nextval('chats_id_seq')", &[]).await?.get(0);
        // Its title and members reach its students at once: quiet hours cannot hold that.
        if let Some(until) = quiet::held_until_among(&*tx, &state, user.role, &members).await? {
            return Err(quiet::refused("make a group with students", until));
        }
        let founder = (user.role == Role::Teacher).then_some(user.id);
        let mut events = vec![NewEvent::GroupCreated {
            chat_id,
            creator_id: user.id,
            title: body.title,
            context,
            announcement,
            audience: body.audience,
            recipients: recipients.filter(|r| r.guardians()),
        }];
        events.extend(founder.into_iter().chain(members).map(|id| NewEvent::ParticipantAdded {
            chat_id,
            actor_id: user.id,
            user_id: id,
        }));
        store::append(&*tx, &events).await?;
        tx.commit().await?;
        (StatusCode::CREATED, chat_id)
    };
    Ok((status, Json(load(&state, chat_id, &user).await?)))
}

/// The chat with its current members: for its members and admins.
#[utoipa::path(get, path = "/api/chats/{chat_id}", tag = "chats", params(("chat_id" = i64, Path)),
    responses((status = 200, body = ChatDetails), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn details(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
) -> Result<Json<ChatDetails>> {
    check_access(&state, chat_id, &user).await?;
    Ok(Json(load(&state, chat_id, &user).await?))
}

/// Renames a group (its owner or an admin). The same title again changes nothing. Inside
/// quiet hours a teacher's renaming of a group with a student is refused (409 `quiet_hours`):
/// the title would reach the student at once, and only messages can be held.
#[utoipa::path(patch, path = "/api/chats/{chat_id}", tag = "chats", params(("chat_id" = i64, Path)), request_body = Rename,
    responses((status = 200, body = ChatDetails), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)"),
              (status = 409, body = ErrorBody, description = "`quiet_hours`: inside quiet hours (QUIET_HOURS) a teacher's renaming of a group with a student waits until they end")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn rename(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    JsonBody(body): JsonBody<Rename>,
) -> Result<Json<ChatDetails>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    group_manager(&state, chat_id, &user, "rename it").await?;
    validate_title(&body.title)?;
    quiet::refuse_in_chat(&state, &user, chat_id, "rename a group").await?;
    state.appender.append(NewEvent::ChatRenamed { chat_id, actor_id: user.id, title: body.title }).await?;
    Ok(Json(load(&state, chat_id, &user).await?))
}

/// Adds a member to a group (its owner or an admin): 201, or 200 if they already are one. From
/// the moment they are added they receive the group's events, and its history from there on.
#[utoipa::path(post, path = "/api/chats/{chat_id}/participants", tag = "chats", params(("chat_id" = i64, Path)),
    request_body = NewMember,
    responses((status = 422, body = ErrorBody, description = "a user who may not be added"), (status = 201, body = ChatDetails), (status = 200, body = ChatDetails, description = "already a member"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)"),
              (status = 409, body = ErrorBody, description = "`group_full`: the group has its maximum of members; `quiet_hours`: inside quiet hours (QUIET_HOURS) a teacher's adding a student waits until they end")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn add(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    JsonBody(body): JsonBody<NewMember>,
) -> Result<(StatusCode, Json<ChatDetails>)> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    group_manager(&state, chat_id, &user, "add members").await?;
    check_members(&state, &user, &[body.user_id]).await?;
    let client = state.db.get().await?;
    if let Some(until) = quiet::held_until_among(&**client, &state, user.role, &[body.user_id]).await? {
        return Err(quiet::refused("add a student to a group", until));
    }
    // An announcement has no cap: a message to it costs the same whatever its audience.
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM chat_participants WHERE chat_id = $1) AS count,
                    coalesce((SELECT announcement FROM chats WHERE id = $1), false) AS announcement",
            &[&chat_id],
        )
        .await?;
    drop(client); // the writer needs a connection of its own
    let (count, announcement): (i64, bool) = (row.get("count"), row.get("announcement"));
    if !announcement && count as usize >= MAX_GROUP_MEMBERS {
        return Err(AppError::Conflict(format!("the group has its maximum of {MAX_GROUP_MEMBERS} members"))
            .with_code(Code::GroupFull));
    }
    let added =
        state.appender.append(NewEvent::ParticipantAdded { chat_id, actor_id: user.id, user_id: body.user_id }).await?;
    let status = if added.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(load(&state, chat_id, &user).await?)))
}

/// Removes a member from a group: the owner or an admin removes anyone, a member removes
/// themself (leaves). The removed member's streams get the `participant_removed` event and
/// nothing of the group after it; sending, typing and read markers answer 403 from then on, on
/// every replica (history keeps the period they were a member). 404 if they are not a member.
#[utoipa::path(delete, path = "/api/chats/{chat_id}/participants/{user_id}", tag = "chats", operation_id = "remove_participant",
    params(("chat_id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204, description = "removed"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id, member = member))]
pub async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam((chat_id, member)): PathParam<(i64, i64)>,
) -> Result<StatusCode> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    if member == user.id {
        check_access(&state, chat_id, &user).await?;
    } else {
        group_manager(&state, chat_id, &user, "remove members").await?;
    }
    if !is_member(&state, chat_id, member).await? {
        return Err(AppError::NotFound(format!("user {member} is not a member of chat {chat_id}")));
    }
    state.appender.append(NewEvent::ParticipantRemoved { chat_id, actor_id: user.id, user_id: member }).await?;
    Ok(StatusCode::NO_CONTENT)
}
