//! The school's settings, as its admins see and change them (`crate::school`): each change an
//! event of the log by the admin (`school_settings_changed`), which every replica follows.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::access::Admin;
use crate::config::{GuardianGroups, Language};
use crate::error::ErrorBody;
use crate::extract::JsonBody;
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::school::{Effective, Own, SettingsChange};
use crate::{AppError, AppState, Result};

/// How long a change's answer waits at most for this replica's listener to have read it (it
/// answers anyway after that: the listener reconnects and catches up).
const FOLLOW_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/school/settings", get(settings).patch(change))
}

/// A school's settings: each as it holds (`name`, `time_zone`, quiet hours, `message_editing`), what the
/// school set itself (`own`: null where it keeps the deployment's default) and the
/// deployment's defaults (`defaults`, from its environment).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SchoolSettings {
    /// The school's name, shown in exports.
    pub name: String,
    /// An IANA time zone (`pg_timezone_names`): quiet hours, exports and emails show the
    /// school's time in it.
    pub time_zone: String,
    /// A teacher's message to a student is held inside this daily window (`HH:MM-HH:MM`, in
    /// `time_zone`); null: no quiet hours.
    pub quiet_hours: Option<String>,
    /// A teacher's message to a family chat is held inside this daily window; null: none.
    pub family_quiet_hours: Option<String>,
    /// Whether authors may edit their messages.
    pub message_editing: bool,
    /// Days a message keeps its content (older ones are purged: `docs/governance.md`); null:
    /// for ever.
    pub retention_days: Option<i32>,
    /// How a person who chose nothing hears by email: `instant`, `digest`, `none`, or each
    /// role's (`student=none,teacher=digest,guardian=instant`).
    pub email_notify: String,
    /// The language of the emails to whoever chose none.
    pub language: Language,
    /// The name the emails come from, at the deployment's address; null: the address alone.
    pub email_sender: Option<String>,
    /// What a guardian reads of the groups their child belongs to: `none`, or `own_messages`
    /// (only the child's own messages).
    pub guardian_groups: GuardianGroups,
    pub own: Own,
    pub defaults: DefaultSettings,
}

/// The deployment's defaults (`SCHOOL_NAME`, `SCHOOL_TIMEZONE`, `QUIET_HOURS`,
/// `QUIET_HOURS_FAMILIES`, `MESSAGE_EDITING`, `RETENTION_DAYS`, `NOTIFY_EMAIL`, `SCHOOL_LANGUAGE`, `SMTP_FROM`'s name,
/// `GUARDIAN_GROUPS`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DefaultSettings {
    pub name: String,
    pub time_zone: String,
    /// null: no quiet hours.
    pub quiet_hours: Option<String>,
    /// `HH:MM-HH:MM`, `off`, or `students` (the students' window).
    pub family_quiet_hours: String,
    pub message_editing: bool,
    /// null: for ever.
    pub retention_days: Option<i32>,
    pub email_notify: String,
    pub language: Language,
    pub email_sender: Option<String>,
    pub guardian_groups: GuardianGroups,
}

/// The school's settings (admins).
#[utoipa::path(get, path = "/api/school/settings", tag = "school",
    responses((status = 200, body = SchoolSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn settings(State(state): State<AppState>, Admin(user): Admin) -> Result<Json<SchoolSettings>> {
    let client = state.db.get().await?;
    Ok(Json(read(&**client, state.school.defaults()).await?))
}

/// Changes the school's settings (admins): a `school_settings_changed` of the log by the admin,
/// which every replica follows within moments (this one before it answers); the answer is the
/// settings as they now hold.
/// Naming only what is set already changes nothing (200, no event). 400 for a setting the
/// school does not have or a value of the wrong type or length; 422 for one it cannot take
/// (a time zone PostgreSQL does not know, a name with spaces around it, quiet hours that are no
/// window of a day).
#[utoipa::path(patch, path = "/api/school/settings", tag = "school", request_body = SettingsChange,
    responses((status = 200, body = SchoolSettings), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a value the school cannot take"),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn change(
    State(state): State<AppState>,
    Admin(user): Admin,
    JsonBody(change): JsonBody<SettingsChange>,
) -> Result<Json<SchoolSettings>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    if change.is_empty() {
        return Err(AppError::BadRequest(format!(
            "name at least one setting to change: {}",
            SettingsChange::NAMES.join(", ")
        )));
    }
    if let Some(stored) = state.appender.append(NewEvent::SchoolSettings { admin_id: user.id, change }).await? {
        // This replica's copy holds the change before the answer (the others' within moments).
        let until = tokio::time::Instant::now() + FOLLOW_WAIT;
        while state.hub.head() < stored.position && tokio::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    let client = state.db.get().await?;
    Ok(Json(read(&**client, state.school.defaults()).await?))
}

/// The settings as the database has them now (this replica's copy follows moments later).
async fn read(client: &impl GenericClient, defaults: &Effective) -> Result<SchoolSettings> {
    let own = Own::read(client).await?;
    let effective = own.clone().over(defaults);
    let family_window = effective.family_window();
    let Effective {
        name,
        time_zone,
        quiet_hours,
        message_editing,
        retention,
        email_defaults,
        language,
        email_sender,
        guardian_groups,
        ..
    } = effective;
    let days = |keep: Option<time::Duration>| keep.map(|d| i32::try_from(d.whole_days()).unwrap_or(i32::MAX));
    Ok(SchoolSettings {
        name,
        time_zone,
        quiet_hours: quiet_hours.map(|w| w.text()),
        family_quiet_hours: family_window.map(|w| w.text()),
        message_editing,
        retention_days: days(retention),
        email_notify: email_defaults.text(),
        language,
        email_sender,
        guardian_groups,
        own,
        defaults: DefaultSettings {
            name: defaults.name.clone(),
            time_zone: defaults.time_zone.clone(),
            quiet_hours: defaults.quiet_hours.map(|w| w.text()),
            family_quiet_hours: defaults.family_quiet_hours.text(),
            message_editing: defaults.message_editing,
            retention_days: days(defaults.retention),
            email_notify: defaults.email_defaults.text(),
            language: defaults.language,
            email_sender: defaults.email_sender.clone(),
            guardian_groups: defaults.guardian_groups,
        },
    })
}
