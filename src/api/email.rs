//! A person's email notifications: their choice (`GET`/`PUT /api/me/email-notifications`:
//! `instant`, `digest`, `none`, or null for the school's default for their role), the language
//! the school writes to them in (`GET`/`PUT /api/me/language`: `ru`, `en`, or null for the
//! school's, `SCHOOL_LANGUAGE`; the web app's switch sets it), and the unsubscribe link every
//! email carries, which works without signing in (`/api/email/unsubscribe`:
//! `GET` shows a button, `POST` turns their email off, as RFC 8058's one click does). What is
//! sent, and when, is `crate::outbox::email`'s.

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::config::{EmailChoice, Language};
use crate::error::ErrorBody;
use crate::extract::{JsonBody, QueryParams};
use crate::limits::Limited;
use crate::{AppError, AppState, Result};

/// The operations of a person's notifications outside the app: Web Push's and email's.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    super::push::vapid_public_key,
    super::push::subscribe,
    super::push::unsubscribe,
    show,
    choose,
    language,
    choose_language,
    unsubscribe_page,
    unsubscribe
))]
pub struct NotificationsDoc;

pub fn router() -> Router<AppState> {
    crate::access::for_suspended(
        Router::new()
            .route("/api/me/email-notifications", get(show).put(choose))
            .route("/api/me/language", get(language).put(choose_language)),
    )
    .route("/api/email/unsubscribe", get(unsubscribe_page).post(unsubscribe))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailNotifications {
    /// The person's own choice; null: the school's default.
    pub choice: Option<EmailChoice>,
    /// The school's default for their role (`NOTIFY_EMAIL`).
    pub default: EmailChoice,
    /// What applies: their choice, else the default.
    pub effective: EmailChoice,
    /// Whether the school sends email at all (`SMTP_URL`); false: nothing is sent, whatever
    /// the choice.
    pub available: bool,
    /// The address emails go to (null: none is known, and nothing is sent).
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChoiceBody {
    /// `instant`, `digest`, `none`, or null for the school's default.
    pub choice: Option<EmailChoice>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeQuery {
    /// The signed token of the link in the email.
    pub token: String,
}

async fn load(state: &AppState, user: &AuthUser) -> Result<EmailNotifications> {
    let row =
        state.db.get().await?.query_one("SELECT email_notify, email FROM users WHERE id = $1", &[&user.id]).await?;
    let choice: Option<EmailChoice> = row.try_get("email_notify")?;
    let default = crate::outbox::email::default_for(&state.school.email_defaults(), user.role);
    Ok(EmailNotifications {
        choice,
        default,
        effective: choice.unwrap_or(default),
        available: state.config.notify.email.smtp.is_some(),
        email: row.try_get("email")?,
    })
}

/// The caller's email notifications: their choice, the school's default, what applies.
#[utoipa::path(get, path = "/api/me/email-notifications", tag = "session", operation_id = "email_notifications",
    responses((status = 200, body = EmailNotifications), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn show(State(state): State<AppState>, user: AuthUser) -> Result<Json<EmailNotifications>> {
    Ok(Json(load(&state, &user).await?))
}

/// Sets the caller's choice (null: back to the school's default). An email waiting to be sent
/// follows it: `none` cancels it, `digest` lets an instant one go unsent.
#[utoipa::path(put, path = "/api/me/email-notifications", tag = "session", operation_id = "choose_email_notifications",
    request_body = EmailChoiceBody,
    responses((status = 200, body = EmailNotifications), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn choose(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<EmailChoiceBody>,
) -> Result<Json<EmailNotifications>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let client = state.db.get().await?;
    client.execute("UPDATE users SET email_notify = $2 WHERE id = $1", &[&user.id, &body.choice]).await?;
    drop(client);
    Ok(Json(load(&state, &user).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Languages {
    /// The person's own choice; null: the school's.
    pub language: Option<Language>,
    /// The school's (`SCHOOL_LANGUAGE`), for whoever has not chosen.
    pub default: Language,
    /// What the school writes to them in: their choice, else the default.
    pub effective: Language,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageBody {
    /// `ru`, `en`, or null for the school's.
    pub language: Option<Language>,
}

impl Languages {
    fn of(state: &AppState, language: Option<Language>) -> Self {
        let default = state.school.language();
        Self { language, default, effective: language.unwrap_or(default) }
    }
}

/// The language the school writes the caller's emails in: theirs, else the school's.
#[utoipa::path(get, path = "/api/me/language", tag = "session", operation_id = "language",
    responses((status = 200, body = Languages), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn language(State(state): State<AppState>, user: AuthUser) -> Result<Json<Languages>> {
    let row = state.db.get().await?.query_one("SELECT language FROM users WHERE id = $1", &[&user.id]).await?;
    Ok(Json(Languages::of(&state, row.try_get("language")?)))
}

/// Sets the caller's language (null: back to the school's), as the web app's switch does: the
/// next email they get is written in it.
#[utoipa::path(put, path = "/api/me/language", tag = "session", operation_id = "choose_language",
    request_body = LanguageBody,
    responses((status = 200, body = Languages), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn choose_language(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<LanguageBody>,
) -> Result<Json<Languages>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let client = state.db.get().await?;
    client.execute("UPDATE users SET language = $2 WHERE id = $1", &[&user.id, &body.language]).await?;
    Ok(Json(Languages::of(&state, body.language)))
}

/// The person an unsubscribe link names, while it holds: 422 for a link this server did not
/// sign, an expired one, or one revoked since (its person's address changed, or an operator
/// revoked their links: `users.email_link_version`).
async fn unsubscriber(state: &AppState, token: &str) -> Result<i64> {
    let refused = || {
        AppError::Unprocessable(
            "this unsubscribe link is not valid (damaged, older than 60 days, or revoked): turn emails off in the chat's settings"
                .into(),
        )
    };
    let link = crate::outbox::email::unsubscriber(&state.keys, token).ok_or_else(refused)?;
    let holds = state
        .db
        .get()
        .await?
        .query_opt(
            "SELECT 1 FROM users WHERE id = $1 AND email_link_version = $2 AND erased_at IS NULL",
            &[&link.unsubscribe, &link.version],
        )
        .await?
        .is_some();
    if holds { Ok(link.unsubscribe) } else { Err(refused()) }
}

/// The page an email's unsubscribe link opens: one button that turns the person's email off
/// (a page, not the change itself: mail scanners open links).
#[utoipa::path(get, path = "/api/email/unsubscribe", tag = "session", operation_id = "unsubscribe_email_page", security(()), params(UnsubscribeQuery),
    responses((status = 200, description = "a page with the button", content_type = "text/html"),
              (status = 400, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a link this server did not sign, an expired one, or one revoked since")))]
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<UnsubscribeQuery>,
) -> Result<Html<String>> {
    unsubscriber(&state, &query.token).await?;
    Ok(page(&format!(
        "<form method=\"post\" action=\"/api/email/unsubscribe?token={}\">\
         <p>Больше не присылать мне писем? / Stop sending me emails?</p>\
         <button type=\"submit\">Отписаться / Unsubscribe</button></form>",
        query.token
    )))
}

/// Turns the link's person's email off (`none`), without signing in: the page's button, or a
/// mail client's one click (RFC 8058: `List-Unsubscribe=One-Click` in the body, ignored here).
#[utoipa::path(post, path = "/api/email/unsubscribe", tag = "session", operation_id = "unsubscribe_email", security(()), params(UnsubscribeQuery),
    responses((status = 200, description = "email is off for them", content_type = "text/html"),
              (status = 400, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a link this server did not sign, an expired one, or one revoked since")))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<UnsubscribeQuery>,
) -> Result<Html<String>> {
    let user = unsubscriber(&state, &query.token).await?;
    let client = state.db.get().await?;
    client.execute("UPDATE users SET email_notify = 'none' WHERE id = $1", &[&user]).await?;
    tracing::info!(user_id = user, "email turned off by an unsubscribe link");
    Ok(page(
        "<p>Готово: писем больше не будет. Включить их снова можно в настройках чата.</p>\
         <p>Done: no more emails. You can turn them on again in the chat's settings.</p>",
    ))
}

fn page(body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>tutorchat</title></head>\
         <body>{body}</body></html>"
    ))
}
