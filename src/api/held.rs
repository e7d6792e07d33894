//! Messages quiet hours hold (`crate::safeguarding::quiet`): `GET /api/held-messages`, the
//! caller's own (an admin's: everyone's), and `POST /api/admin/held-messages/{id}/deliver`, an
//! admin's override that delivers one now.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::access::{Admin, Viewer, viewer};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{PathParam, QueryParams};
use crate::limits::Limited;
use crate::safeguarding::quiet::{self, Delivered, HeldMessage};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/held-messages", get(held_messages))
        .route("/api/admin/held-messages/{id}/deliver", post(deliver_held))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HeldQuery {
    /// Only this chat's.
    #[param(nullable = false)]
    pub chat_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldMessages {
    pub messages: Vec<HeldMessage>,
}

/// Messages held by quiet hours, not delivered yet, soonest first: the caller's own (what they
/// sent and will see delivered at `deliver_at`), or, for an admin, everyone's.
#[utoipa::path(get, path = "/api/held-messages", tag = "messages", params(HeldQuery),
    responses((status = 200, body = HeldMessages), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn held_messages(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(query): QueryParams<HeldQuery>,
) -> Result<Json<HeldMessages>> {
    state.limits.check(Limited::Read, user.id)?;
    let sender = match viewer(&user) {
        Viewer::Admin => None,
        Viewer::Participant(id) | Viewer::Guardian(id) => Some(id),
    };
    Ok(Json(HeldMessages { messages: quiet::list(&state, sender, query.chat_id).await? }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveredMessage {
    /// The message's position in the log.
    pub position: i64,
}

/// Delivers a held message now, before its quiet hours end (an admin's override; the message
/// stays its sender's). 404 if it is not held (delivered already, or never held); 422 if the
/// log refuses it now (its sender suspended, the chat closed): it is dropped.
#[utoipa::path(post, path = "/api/admin/held-messages/{id}/deliver", tag = "messages", params(("id" = i64, Path)),
    responses((status = 200, body = DeliveredMessage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, held = id))]
pub async fn deliver_held(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<Json<DeliveredMessage>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    match quiet::deliver(&state, Some(id), state.clock.now()).await? {
        Delivered::At(position) => Ok(Json(DeliveredMessage { position })),
        Delivered::NotHeld => Err(AppError::NotFound(format!("held message {id} is not held (delivered already?)"))),
        Delivered::Refused(reason) => {
            Err(AppError::Unprocessable(format!("the log refused held message {id}, which is dropped: {reason}")))
        }
    }
}
