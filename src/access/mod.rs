//! Who may call what, decided by where a route is placed rather than by what its URL looks like.
//!
//! Every route that takes a signed-in person (`AuthUser`) is closed to two kinds of caller
//! unless its router says otherwise:
//! - **guests** (an inquiry's visitor without an account) may call only the routes placed on the
//!   guests' router ([`for_guests`]): their chat's details, history, files, read markers, typing,
//!   sends and their own messages' changes, search, export, the event stream, their profile,
//!   logging out. Membership then confines each of these to their own chat.
//! - **suspended** people may read everything they could, and write only through the routes
//!   placed on the suspended's router ([`for_suspended`]): marking chats read, logging out, a
//!   browser's push subscription.
//!
//! A route added anywhere else refuses both, so a new endpoint is never open to a guest or a
//! suspended person by accident (`tests/api/guests.rs` calls every documented operation as a
//! guest and as a suspended person). The database's triggers hold the same rules for writes as
//! a second line (a guest or suspended actor's event is refused by the log itself).

use axum::{Extension, Router};

/// The mark [`for_guests`] puts on a route: a guest may call it.
#[derive(Debug, Clone, Copy)]
pub struct GuestRoute;

/// The mark [`for_suspended`] puts on a route: a suspended person may write through it.
#[derive(Debug, Clone, Copy)]
pub struct SuspendedRoute;

/// `routes`, open to guests too (everyone else as before).
pub fn for_guests<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.route_layer(Extension(GuestRoute))
}

/// `routes`, open to suspended people's writes too (everyone else as before).
pub fn for_suspended<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.route_layer(Extension(SuspendedRoute))
}
