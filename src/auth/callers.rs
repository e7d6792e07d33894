//! What every credential comes to: the caller a verified session names, as the route's marks
//! allow them, whether the session came in a request (the extractor), in a socket's own packet,
//! or as a dialect's own credential (a marketplace visitor's UUID stands for their guest).

use axum::http::request::Parts;
use axum::http::{Method, header};

use super::users::{Known, Lookup};
use super::{AuthState, AuthUser, Credential, Role, Session, expected, origin, routes};
use crate::AppError;
use crate::error::Code;

impl AuthUser {
    /// The person a token names when it comes in a socket's own packet rather than in a
    /// request (Socket.IO's `auth.token`): verified as `Authorization: Bearer` is, as for a
    /// read on a route of people only (no guest); the socket's writes are admitted frame by
    /// frame (`access::Writer::admit_frame`).
    pub async fn of_packet_token(state: &AuthState, token: &str) -> Result<Self, AppError> {
        let session = state.verify(token).await?;
        let (parts, ()) = axum::http::Request::new(()).into_parts();
        Self::of_session(state, &parts, session, Credential::Bearer).await
    }

    /// The caller a verified session names, as the route's marks allow them (`crate::access`):
    /// what every credential comes to, the extractor's and a dialect's own (a marketplace
    /// visitor's UUID stands for their guest).
    pub async fn of_session(
        state: &AuthState,
        parts: &Parts,
        session: Session,
        credential: Credential,
    ) -> Result<Self, AppError> {
        if session.sid.as_deref().is_some_and(|sid| state.revoked.contains(sid)) {
            return Err(AppError::Unauthorized("this session has been signed out: sign in again".into())
                .with_code(Code::SessionEnded));
        }
        let Session { user: id, expires_at, sid: session } = session;
        expected::check(&parts.headers, id)?;
        let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        // Cross-site protection follows the credential: whatever a cookie opens that another
        // page could use (a write, or a WebSocket, which no CORS guards and whose handshake is
        // a GET) must come from the chat's own origin or an allowed one. A browser's handshake
        // always names its page's origin; a program's without one is no page's doing.
        let upgrade = parts.headers.contains_key(header::UPGRADE) && parts.headers.contains_key(header::ORIGIN);
        if credential == Credential::Cookie && (writes || upgrade) {
            origin::check(&parts.headers, &state.config.auth.allowed_origins)?;
        }
        let Known { name, role, link, suspended } = match state.users.get(&state.db, id).await? {
            Lookup::Found(known) => known,
            Lookup::Missing => return Err(AppError::Unauthorized("the token's user does not exist".into())),
            Lookup::Erased => {
                return Err(AppError::Unauthorized("this account has been erased: it can no longer sign in".into()));
            }
            Lookup::Deactivated => {
                return Err(AppError::Unauthorized(
                    "this account has been deactivated: it can no longer sign in".into(),
                )
                .with_code(Code::AccountDeactivated));
            }
            Lookup::GuestEnded => {
                return Err(AppError::Unauthorized("this guest session has ended: the inquiry chat is closed".into())
                    .with_code(Code::GuestSessionEnded));
            }
        };
        // Where the route is placed says who else may call it (`crate::access`).
        if role == Role::Guest && parts.extensions.get::<routes::GuestRoute>().is_none() {
            return Err(AppError::Forbidden("a guest may only use their own inquiry chat".into())
                .with_code(Code::GuestConfined));
        }
        if suspended.is_some() && writes && parts.extensions.get::<routes::SuspendedRoute>().is_none() {
            return Err(AppError::Forbidden("your account is suspended: you may read, not write".into())
                .with_code(Code::AccountSuspended));
        }
        Ok(Self { id, name, role, credential, expires_at, session, link, suspended })
    }
}
