//! Reactions: a participant's emoji on a message they can see, one of a bounded set of eight
//! ([`REACTIONS`]; the log's `reaction_emojis()` holds the same list and refuses any other, so
//! an append from psql obeys it too). Each is an event of the log by the person who reacts
//! (`reaction_added`, `reaction_removed`), at most one per person per emoji, which
//! `message_reactions` keeps (`sql/functions/events_apply.sql`), every stream of the chat hears
//! of live, and a resumed stream replays as it is now (none for a message hidden, deleted or
//! purged since). History shows each message's reactions (`reactions`), exports too.
//!
//! Admins and guardians take part in no chat and write nothing; a guest's inquiry has none
//! (the route is not on the guests' router); a suspended person reads, and does not react.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::put;
use serde_json::{Value, json};

use crate::access::{Writer, check_access, no_message};
use crate::auth::AuthUser;
use crate::error::{Code, ErrorBody};
use crate::extract::PathParam;
use crate::log::NewEvent;
use crate::{AppError, AppState, Result};

/// The reactions a message may get, in the order a client offers them. The log's
/// `reaction_emojis()` (`sql/functions/reaction_emojis.sql`) is the same list (a test compares
/// them); the OpenAPI document states it as the `emoji` parameter's `enum`.
pub const REACTIONS: [&str; 8] = ["👍", "❤️", "😂", "😮", "😢", "🙏", "👏", "✅"];

/// The reaction `given` names: one of [`REACTIONS`] exactly, or written without its emoji
/// presentation selector (U+FE0F), as a keyboard may type ❤ for ❤️.
pub fn reaction(given: &str) -> Option<&'static str> {
    let bare = |emoji: &str| emoji.replace('\u{FE0F}', "");
    REACTIONS.iter().copied().find(|emoji| *emoji == given || bare(emoji) == bare(given))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/messages/{id}/reactions/{emoji}", put(add).delete(remove))
}

/// Reacts to a message of a chat the caller takes part in, written since they joined, with one
/// of the eight reactions: 👍 ❤️ 😂 😮 😢 🙏 👏 ✅ (percent-encoded in the path; ❤ without its
/// U+FE0F is taken as ❤️). One per person per emoji: 201 when added now, 200 when the caller
/// had reacted so already (nothing changes). Every stream of the chat gets `reaction_added`.
#[utoipa::path(put, path = "/api/messages/{id}/reactions/{emoji}", tag = "messages", operation_id = "add_reaction",
    params(("id" = i64, Path), ("emoji" = String, Path, description = "one of 👍 ❤️ 😂 😮 😢 🙏 👏 ✅, percent-encoded")),
    responses((status = 201, description = "reacted now"), (status = 200, description = "the caller had reacted so already"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such message, or not the caller's to see (one answer for both); an admin (`admin_read_only`), a guardian (`guardian_read_only`), a guest, or a suspended person (`account_suspended`); a direct chat whose teacher left the school (`teacher_departed`)"),
              (status = 409, body = ErrorBody, description = "the message is hidden (`message_hidden`), deleted (`message_deleted`) or purged (`message_purged`), or the chat is closed (`chat_closed`)"),
              (status = 422, body = ErrorBody, description = "not one of the eight reactions (`unknown_reaction`)"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn add(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam((id, emoji)): PathParam<(i64, String)>,
) -> Result<StatusCode> {
    let Writer(user) = Writer::admit_for_message(&state, user, id).await?;
    let added = react(&state, &user, id, &emoji, true).await?;
    Ok(if added { StatusCode::CREATED } else { StatusCode::OK })
}

/// Takes back the caller's reaction: 204, also when there was none. Every stream of the chat
/// gets `reaction_removed` (when there was one).
#[utoipa::path(delete, path = "/api/messages/{id}/reactions/{emoji}", tag = "messages", operation_id = "remove_reaction",
    params(("id" = i64, Path), ("emoji" = String, Path, description = "one of 👍 ❤️ 😂 😮 😢 🙏 👏 ✅, percent-encoded")),
    responses((status = 204, description = "the caller has no such reaction (now)"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such message, or not the caller's to see (one answer for both); an admin (`admin_read_only`), a guardian (`guardian_read_only`), a guest, or a suspended person (`account_suspended`); a direct chat whose teacher left the school (`teacher_departed`)"),
              (status = 409, body = ErrorBody, description = "the message is hidden (`message_hidden`), deleted (`message_deleted`) or purged (`message_purged`), or the chat is closed (`chat_closed`)"),
              (status = 422, body = ErrorBody, description = "not one of the eight reactions (`unknown_reaction`)"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam((id, emoji)): PathParam<(i64, String)>,
) -> Result<StatusCode> {
    let Writer(user) = Writer::admit_for_message(&state, user, id).await?;
    react(&state, &user, id, &emoji, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Appends the reaction's event (`added`) or its taking back, if the caller may see the
/// message; whether the log recorded one (no: it was so already, which the log decides under
/// its lock, with the message's state and the chat's).
async fn react(state: &AppState, user: &AuthUser, id: i64, given: &str, added: bool) -> Result<bool> {
    let emoji = reaction(given).ok_or_else(|| {
        AppError::Unprocessable(format!("{given:?} is not a reaction: one of {}", REACTIONS.join(" ")))
            .with_code(Code::UnknownReaction)
    })?;
    let row = state
        .db
        .get()
        .await?
        .query_opt("SELECT chat_id, position FROM messages WHERE id = $1", &[&id])
        .await?
        .ok_or_else(|| no_message(id))?;
    let chat_id: i64 = row.get("chat_id");
    let access = match check_access(state, chat_id, user).await {
        Ok(access) => access,
        Err(AppError::Forbidden(_)) => return Err(no_message(id)),
        Err(e) => return Err(e),
    };
    // A departed teacher's chat is read-only, its reactions too.
    let access = access.staffed(chat_id)?;
    if row.get::<_, i64>("position") < access.visible_from {
        return Err(no_message(id));
    }
    let event = NewEvent::Reaction { chat_id, user_id: user.id, message_id: id, emoji, added };
    Ok(state.appender.append(event).await?.is_some())
}

/// States [`REACTIONS`] in the OpenAPI document: the `enum` of the
/// reaction endpoints' `emoji` parameter and of the fields that name one.
pub(super) fn in_document(document: &mut Value) {
    let set = json!(REACTIONS);
    for method in ["put", "delete"] {
        let pointer = format!("/paths/~1api~1messages~1{{id}}~1reactions~1{{emoji}}/{method}/parameters");
        let Some(Value::Array(parameters)) = document.pointer_mut(&pointer) else { continue };
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "emoji") {
            if let Some(Value::Object(schema)) = parameter.get_mut("schema") {
                schema.insert("enum".into(), set.clone());
            }
        }
    }
    for schema in ["Reaction", "ReactionEvent"] {
        let pointer = format!("/components/schemas/{schema}/properties/emoji");
        if let Some(Value::Object(emoji)) = document.pointer_mut(&pointer) {
            emoji.insert("enum".into(), set.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaction_is_one_of_the_eight_with_or_without_its_presentation_selector() {
        assert_eq!(reaction("👍"), Some("👍"));
        assert_eq!(reaction("❤️"), Some("❤️"));
        assert_eq!(reaction("\u{2764}"), Some("❤️"), "a heart typed without U+FE0F");
        assert_eq!(reaction("✅\u{FE0F}"), Some("✅"));
        for other in ["", "👎", "👍👍", "a", "\u{FE0F}", "%F0%9F%91%8D"] {
            assert_eq!(reaction(other), None, "{other:?}");
        }
    }
}
