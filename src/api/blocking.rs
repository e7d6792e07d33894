//! Blocking an inquiry's visitor: `POST /api/chats/{chat_id}/block`, by the inquiry's teacher or
//! an admin; in a family chat, by either member (the guardian or the teacher blocks the other:
//! the chat closes for good and no other opens for the pair, and admins see it close). The chat
//! closes (`chat_closed`, reason `blocked`, on every replica: read-only, the
//! guest's session and streams end), and its link refuses that visitor from then on
//! (`inquiry_blocks`; `POST /api/inquiry/{token}` answers 403 `visitor_blocked`: see
//! `crate::access` for how a visitor is recognised, and its limits).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::PathParam;
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/chats/{chat_id}/block", post(block_visitor))
}

/// Blocks an inquiry's visitor (the inquiry's teacher, or an admin): the chat is closed,
/// read-only for good, the guest's session ends, and the link opens no new chat for that
/// visitor. In a family chat either member blocks the other (or an admin ends it): it closes
/// for good, readable still. 204, also when blocked already; an inquiry closed otherwise
/// (idle) can still have its visitor blocked. 403 for anyone else, for a chat of another kind
/// and for one that does not exist.
#[utoipa::path(post, path = "/api/chats/{chat_id}/block", tag = "inquiries", params(("chat_id" = i64, Path)),
    responses((status = 204, description = "blocked"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id))]
pub async fn block_visitor(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    crate::access::may_block_visitor(&state, chat_id, &user).await?;
    if state.appender.append(NewEvent::VisitorBlocked { chat_id, actor_id: user.id }).await?.is_some() {
        tracing::info!(chat_id, "blocked an inquiry's visitor");
    }
    Ok(StatusCode::NO_CONTENT)
}
