//! Who may call a handler, by role, as extractors: a handler's signature says it. An admin reads
//! every chat and moderates ([`Admin`]); a student, a teacher or a guest takes part in chats
//! ([`Participant`]) and writes in them within their write rate ([`Writer`]). Admins never
//! write a message, a read marker, a report or a typing signal: every such handler takes a
//! [`Writer`] or a [`Participant`], so none can forget to refuse them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{AuthUser, Role};
use crate::error::Code;
use crate::limits::Limited;
pub use crate::log::store::Viewer;
use crate::{AppError, AppState};

/// An admin: 403 `forbidden` for anyone else.
pub struct Admin(pub AuthUser);

/// Someone who takes part in chats: 403 `admin_read_only` for an admin, `guardian_read_only`
/// for a guardian (both read chats they take no part in, and write nothing; a guardian's own
/// family chats admit them: [`Writer::admit_in`]).
pub struct Participant(pub AuthUser);

/// A [`Participant`] within their write rate (a guest's is harder): 429 past it.
pub struct Writer(pub AuthUser);

/// The answer to an admin where only participants may act.
fn admins_read_only() -> AppError {
    AppError::Forbidden("admins have read-only access: they read every chat and write nothing".into())
        .with_code(Code::AdminReadOnly)
}

/// The answer to a guardian where only participants may act.
fn guardians_read_only() -> AppError {
    AppError::Forbidden("guardians have read-only access: they read their children's chats and write nothing".into())
        .with_code(Code::GuardianReadOnly)
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match user.role {
            Role::Admin => Ok(Self(user)),
            _ => Err(AppError::Forbidden("only an admin may do this".into())),
        }
    }
}

impl Participant {
    /// `user` as a participant, or the refusal the extractor gives (for a caller authenticated
    /// once and acting many times: a socket's frames).
    pub fn admit(user: AuthUser) -> Result<Self, AppError> {
        match user.role {
            Role::Admin => Err(admins_read_only()),
            Role::Guardian => Err(guardians_read_only()),
            _ => Ok(Self(user)),
        }
    }
}

impl FromRequestParts<AppState> for Participant {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Self::admit(AuthUser::from_request_parts(parts, state).await?)
    }
}

impl Writer {
    /// `user` as a writer within their write rate, or the extractor's refusal (see
    /// [`Participant::admit`]).
    pub fn admit(state: &AppState, user: AuthUser) -> Result<Self, AppError> {
        let Participant(user) = Participant::admit(user)?;
        state.limits.check(Limited::write_by(user.role), user.id)?;
        Ok(Self(user))
    }

    /// [`Writer::admit`] for a report, which a guardian makes too: in any chat they read (their
    /// child's, their own family chat), as [`super::check_access`] then says.
    pub fn admit_reporter(state: &AppState, user: AuthUser) -> Result<Self, AppError> {
        if user.role == Role::Guardian {
            state.limits.check(Limited::write_by(user.role), user.id)?;
            return Ok(Self(user));
        }
        Self::admit(state, user)
    }

    /// [`Writer::admit`] for an act in chat `chat_id`, where a guardian is admitted too if they
    /// are its member: their own family chat (with a teacher of their child), the one place a
    /// guardian writes messages, or an announcement that reaches families, where they read,
    /// mark read and react as its other members do. Their children's chats, which they read
    /// without taking part, stay `guardian_read_only`.
    pub async fn admit_in(state: &AppState, user: AuthUser, chat_id: i64) -> Result<Self, AppError> {
        if user.role == Role::Guardian && guardian_member_of(state, user.id, chat_id).await? {
            state.limits.check(Limited::write_by(user.role), user.id)?;
            return Ok(Self(user));
        }
        Self::admit(state, user)
    }
}

/// What a socket's frame does in its chat: writes (a message, a typing signal), which a
/// suspended person may not, or marks read, which they may (as over REST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Write,
    MarkRead,
}

impl Writer {
    /// A socket frame's `act` in chat `chat_id`, admitted as the same request over REST would
    /// be at this moment, though the socket authenticated once, at its handshake: the person as
    /// they are now (a suspension since, a deactivation or erasure), then [`Writer::admit_in`]
    /// (a guardian in their own family chat).
    pub async fn admit_frame(state: &AppState, user: AuthUser, chat_id: i64, act: Act) -> Result<Self, AppError> {
        use crate::auth::users::Lookup;
        match state.users.get(&state.db, user.id).await? {
            Lookup::Found(now) if now.suspended.is_some() && act == Act::Write => {
                Err(AppError::Forbidden("your account is suspended: you may read, not write".into())
                    .with_code(Code::AccountSuspended))
            }
            Lookup::Found(_) => Self::admit_in(state, user, chat_id).await,
            _ => Err(AppError::Unauthorized("this account can no longer act: sign in again".into())),
        }
    }
}

impl Writer {
    /// [`Writer::admit_in`] for an act on message `id` (an edit, a reaction): in the chat it is
    /// in (one lookup, for a guardian only; a message that does not exist admits no guardian).
    pub async fn admit_for_message(state: &AppState, user: AuthUser, id: i64) -> Result<Self, AppError> {
        if user.role != Role::Guardian {
            return Self::admit(state, user);
        }
        let client = state.db.get().await?;
        let statement = client.prepare_cached("SELECT chat_id FROM messages WHERE id = $1").await?;
        match client.query_opt(&statement, &[&id]).await? {
            Some(row) => Self::admit_in(state, user, row.get("chat_id")).await,
            None => Self::admit(state, user),
        }
    }
}

/// Whether guardian `guardian` is a member of chat `chat_id` (their family chat, an
/// announcement to families).
async fn guardian_member_of(state: &AppState, guardian: i64, chat_id: i64) -> Result<bool, AppError> {
    let client = state.db.get().await?;
    let statement =
        client.prepare_cached("SELECT 1 FROM chat_participants WHERE chat_id = $1 AND user_id = $2").await?;
    Ok(client.query_opt(&statement, &[&chat_id, &guardian]).await?.is_some())
}

impl FromRequestParts<AppState> for Writer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Self::admit(state, AuthUser::from_request_parts(parts, state).await?)
    }
}

/// What `user` is shown: every chat as an admin, their children's direct chats as a
/// guardian, or their own as a participant.
pub fn viewer(user: &AuthUser) -> Viewer {
    match user.role {
        Role::Admin => Viewer::Admin,
        Role::Guardian => Viewer::Guardian(user.id),
        _ => Viewer::Participant(user.id),
    }
}

/// A teacher or an admin (who create groups and inquiry links): 403 `forbidden` for anyone else.
pub struct Staff(pub AuthUser);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Self::admit(AuthUser::from_request_parts(parts, state).await?)
    }
}

impl Staff {
    /// `user` as staff: 403 `forbidden` for anyone but a teacher or an admin (for a dialect
    /// whose one route creates a group or finds a lesson chat, by the body's `type`).
    pub fn admit(user: AuthUser) -> Result<Self, AppError> {
        match user.role {
            Role::Teacher | Role::Admin => Ok(Self(user)),
            _ => Err(AppError::Forbidden("only teachers and admins may do this".into())),
        }
    }
}
